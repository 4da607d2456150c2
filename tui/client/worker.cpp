#include "tui/client/worker.hpp"

#include <pthread.h>
#include <signal.h>

namespace tacit::client {

Worker::~Worker() {
    alive_.reset();
    {
        std::lock_guard lock(mu_);
        stop_ = true;
        jobs_.clear();
    }
    cv_.notify_all();
    if (thread_) thread_->join();
}

void Worker::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mu_);
        jobs_.push_back(std::move(job));
    }
    if (!thread_) thread_.emplace([this] { main(); });
    cv_.notify_one();
}

void Worker::main() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
            if (stop_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace tacit::client
