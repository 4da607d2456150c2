// A throwaway PostgreSQL cluster for one test process: started on first use
// by tests/pg/cluster.sh on a Unix socket in a scratch directory, stopped by
// its PID and removed when the process exits. Each test takes a database of
// its own (fresh_database), so tests don't see each other's tables.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"

namespace tacit::test {

// Runs loop passes until done() or 20 s, so a database that never answers
// fails the test instead of hanging it.
template <class F> bool pump(EventLoop& loop, F done) {
    uint64_t end = mono_ms() + 20000;
    while (!done()) {
        if (mono_ms() > end) return false;
        loop.run_once(50);
    }
    return true;
}

class PgCluster {
public:
    static PgCluster& shared() {
        static PgCluster c;
        return c;
    }
    PgCluster(const PgCluster&) = delete;
    PgCluster& operator=(const PgCluster&) = delete;

    const std::string& dir() const { return dir_; }
    // libpq conninfo for database db on this cluster.
    std::string conninfo(const std::string& db = "postgres") const {
        return "host=" + dir_ + " port=5432 user=tacit dbname=" + db + " connect_timeout=10";
    }
    // A new empty database; its name.
    std::string fresh_database(const std::string& tag) {
        std::string name = "t_" + tag + "_" + std::to_string(++count_);
        psql("postgres", "CREATE DATABASE " + name);
        return name;
    }
    // Runs sql through psql (for set-up and for acting as another client);
    // returns its output without the trailing newline. Throws on failure.
    std::string psql(const std::string& db, const std::string& sql) const {
        return run("psql -X -q -A -t -v ON_ERROR_STOP=1 '" + conninfo(db) + "' -c \"" + sql + "\" 2>&1");
    }
    ~PgCluster() {
        if (dir_.empty()) return;
        std::string cmd = script() + " stop " + dir_ + " >/dev/null 2>&1";
        [[maybe_unused]] int rc = ::system(cmd.c_str());
        if (!::getenv("TACIT_KEEP_TEST_DIRS")) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

private:
    PgCluster() {
        char tmpl[] = "/tmp/tacit-pg-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        run(script() + " start " + dir_);
    }
    static std::string script() { return "bash tests/pg/cluster.sh"; }
    static std::string run(const std::string& cmd) {
        struct Close {
            void operator()(FILE* f) const { ::pclose(f); }
        };
        std::string out;
        int status = 0;
        {
            FILE* raw = ::popen(cmd.c_str(), "r");
            if (!raw) throw std::runtime_error("popen failed: " + cmd);
            std::unique_ptr<FILE, Close> f(raw);
            char buf[4096];
            size_t n;
            while ((n = ::fread(buf, 1, sizeof buf, f.get())) > 0) out.append(buf, n);
            status = ::pclose(f.release());
        }
        while (!out.empty() && out.back() == '\n') out.pop_back();
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("`" + cmd + "` failed: " + out);
        return out;
    }
    std::string dir_;
    int count_ = 0;
};

}  // namespace tacit::test
