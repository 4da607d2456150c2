// libpq on the event loop: PQconnectStart/PQconnectPoll for the connect,
// then pipeline mode with a non-blocking socket. libpq's pipeline hands a
// statement's result followed by a null marker, and a sync point as one
// PGRES_PIPELINE_SYNC result; inflight_ mirrors what was sent so each result
// finds its callback (libpq manual, "Pipeline Mode").
#include "srv/store/pg_conn.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <stdexcept>

#include "shared/wire.hpp"

namespace tacit::store::pg {
namespace {

// libpq's type OIDs (pg_type.dat); stable across releases.
constexpr unsigned kInt8 = 20, kText = 25, kBytea = 17;

std::string trimmed(const char* s) {
    std::string t = s ? s : "";
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t.empty() ? "connection lost" : t;
}

Result::Kind kind_of(ExecStatusType st) {
    switch (st) {
        case PGRES_TUPLES_OK: return Result::Kind::Rows;
        case PGRES_COMMAND_OK: return Result::Kind::Done;
        case PGRES_PIPELINE_ABORTED: return Result::Kind::Aborted;
        default: return Result::Kind::Failed;
    }
}

}  // namespace

void ClearResult::operator()(pg_result* r) const { PQclear(r); }
void Conn::Finish::operator()(pg_conn* c) const { PQfinish(c); }

Param Param::text(std::string_view s) { return {Bytes(s.begin(), s.end()), kText, false}; }
Param Param::bytes(ByteView b) { return {Bytes(b.begin(), b.end()), kBytea, false}; }
// int8 in binary is 8 bytes big-endian, as the wire's integers.
Param Param::i64(int64_t v) {
    Bytes b(8);
    put_u64be(b.data(), uint64_t(v));
    return {std::move(b), kInt8, false};
}
Param Param::null_of(unsigned type_oid) { return {{}, type_oid, true}; }

Result::Result(Kind k, ResultPtr r, std::string error) : kind_(k), error_(std::move(error)) {
    if (r) {
        if (const char* s = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE)) sqlstate_ = s;
        res_ = std::shared_ptr<pg_result>(r.release(), ClearResult{});
    }
}

std::string_view Result::sqlstate() const { return sqlstate_; }
int Result::rows() const { return res_ && kind_ == Kind::Rows ? PQntuples(res_.get()) : 0; }
int Result::cols() const { return res_ && kind_ == Kind::Rows ? PQnfields(res_.get()) : 0; }

void Result::check_cell(int row, int col) const {
    if (row < 0 || col < 0 || row >= rows() || col >= cols()) throw std::out_of_range("pg result cell out of range");
}

bool Result::is_null(int row, int col) const {
    check_cell(row, col);
    return PQgetisnull(res_.get(), row, col) != 0;
}

ByteView Result::bytes(int row, int col) const {
    check_cell(row, col);
    auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(res_.get(), row, col));
    return ByteView(p, size_t(PQgetlength(res_.get(), row, col)));
}

std::string_view Result::text(int row, int col) const {
    ByteView b = bytes(row, col);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

int64_t Result::i64(int row, int col) const {
    ByteView b = bytes(row, col);
    if (b.size() != 8 || PQftype(res_.get(), col) != kInt8) throw std::runtime_error("pg result: not an int8 column");
    return int64_t(get_u64be(b.data()));
}

uint64_t Result::affected() const {
    if (!res_) return 0;
    const char* n = PQcmdTuples(res_.get());
    return n && *n ? std::stoull(n) : 0;
}

Conn::Conn(EventLoop& loop, std::string conninfo, StateFn on_state)
    : loop_(loop), on_state_(std::move(on_state)), alive_(std::make_shared<bool>(true)) {
    conn_.reset(PQconnectStart(conninfo.c_str()));
    if (!conn_ || PQstatus(conn_.get()) == CONNECTION_BAD) {
        std::string why = trimmed(conn_ ? PQerrorMessage(conn_.get()) : "out of memory");
        std::weak_ptr<bool> alive = alive_;
        loop_.post([this, alive, why] {
            if (!alive.expired()) fail(why);
        });
        return;
    }
    // libpq prints notices on stderr by default; tacitd's log is its own.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    // libpq manual: treat a fresh connection as PGRES_POLLING_WRITING.
    watch(PQsocket(conn_.get()), EventLoop::Writable);
}

Conn::~Conn() {
    *alive_ = false;
    if (fd_ >= 0) loop_.remove_fd(fd_);
}

void Conn::watch(int fd, uint32_t mask) {
    if (fd < 0) return fail("libpq has no socket");
    if (state_ == State::Connecting || fd != fd_) {
        // During the connect libpq may close its socket and open another
        // under the same number: register afresh each step.
        if (fd_ >= 0) loop_.remove_fd(fd_);
        fd_ = fd;
        mask_ = mask;
        loop_.add_fd(fd, mask, [this](uint32_t ev) { on_io(ev); });
    } else if (mask != mask_) {
        mask_ = mask;
        loop_.modify_fd(fd, mask);
    }
}

void Conn::on_io(uint32_t events) {
    if (state_ == State::Connecting) return poll_connect();
    if (state_ != State::Ready) return;
    if (events & EventLoop::Writable) flush();
    if (state_ == State::Ready && (events & (EventLoop::Readable | EventLoop::Closed))) {
        if (!PQconsumeInput(conn_.get())) return fail(trimmed(PQerrorMessage(conn_.get())));
        read_notifies();
        read_results();
    }
}

void Conn::poll_connect() {
    switch (PQconnectPoll(conn_.get())) {
        case PGRES_POLLING_READING: return watch(PQsocket(conn_.get()), EventLoop::Readable);
        case PGRES_POLLING_WRITING: return watch(PQsocket(conn_.get()), EventLoop::Writable);
        case PGRES_POLLING_OK: return become_ready();
        default: return fail(trimmed(PQerrorMessage(conn_.get())));
    }
}

void Conn::become_ready() {
    if (PQsetnonblocking(conn_.get(), 1) != 0 || PQenterPipelineMode(conn_.get()) != 1)
        return fail("cannot enter pipeline mode: " + trimmed(PQerrorMessage(conn_.get())));
    state_ = State::Ready;
    watch(fd_, EventLoop::Readable);
    std::deque<Step> q;
    q.swap(queued_);
    for (auto& s : q)
        if (!transmit(s)) return;
    flush();
    auto alive = alive_;
    if (on_state_) on_state_(State::Ready, "");
    if (*alive && state_ == State::Ready) read_results();
}

bool Conn::transmit(Step& s) {
    int ok = 0;
    if (s.is_sync) {
        ok = PQpipelineSync(conn_.get());
    } else {
        std::vector<unsigned> types;
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const Param& p : s.params) {
            types.push_back(p.type_oid);
            values.push_back(p.is_null ? nullptr : reinterpret_cast<const char*>(p.value.data()));
            lengths.push_back(int(p.value.size()));
            formats.push_back(1);
        }
        ok = PQsendQueryParams(conn_.get(), s.sql.c_str(), int(s.params.size()), types.data(), values.data(),
                               lengths.data(), formats.data(), 1);
    }
    inflight_.push_back(std::move(s));
    if (!ok) fail(trimmed(PQerrorMessage(conn_.get())));
    return ok != 0;
}

void Conn::flush() {
    int r = PQflush(conn_.get());
    if (r < 0) return fail(trimmed(PQerrorMessage(conn_.get())));
    watch(fd_, r == 1 ? EventLoop::Readable | EventLoop::Writable : EventLoop::Readable);
}

void Conn::send(std::string sql, std::vector<Param> params, ResultFn fn) {
    Step s{false, std::move(sql), std::move(params), std::move(fn), {}};
    if (state_ != State::Ready) return queue_while_down(std::move(s));
    if (transmit(s)) flush();
}

void Conn::sync(SyncFn fn) {
    Step s{true, {}, {}, {}, std::move(fn)};
    if (state_ != State::Ready) return queue_while_down(std::move(s));
    if (transmit(s)) flush();
}

// Before Ready a step waits for the connect; once Broken it completes as
// Lost on a later pass, never inside the caller's send().
void Conn::queue_while_down(Step s) {
    queued_.push_back(std::move(s));
    if (state_ != State::Broken || queued_.size() > 1) return;
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive] {
        if (auto a = alive.lock(); a && *a) fail(why_);
    });
}

void Conn::read_notifies() {
    while (PGnotify* n = PQnotifies(conn_.get())) {
        std::string ch = n->relname ? n->relname : "", payload = n->extra ? n->extra : "";
        PQfreemem(n);
        if (notify_) notify_(ch, payload);
    }
}

void Conn::read_results() {
    auto alive = alive_;
    while (*alive && state_ == State::Ready && !inflight_.empty() && !PQisBusy(conn_.get())) {
        ResultPtr r(PQgetResult(conn_.get()));
        bool sync_result = r && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC;
        if (inflight_.front().is_sync != sync_result) {
            if (!r && inflight_.front().is_sync) break;  // nothing more yet
            return fail("pipeline out of step with the server");
        }
        if (sync_result) {
            Step s = std::move(inflight_.front());
            inflight_.pop_front();
            bool ok = !group_failed_;
            group_failed_ = false;
            if (s.on_sync) s.on_sync(ok);
        } else {
            deliver(std::move(r));
        }
    }
    if (*alive && state_ == State::Ready && PQstatus(conn_.get()) == CONNECTION_BAD)
        fail(trimmed(PQerrorMessage(conn_.get())));
}

// A statement's results end with a null marker; the first one counts.
void Conn::deliver(ResultPtr r) {
    if (r) {
        if (kind_of(PQresultStatus(r.get())) == Result::Kind::Failed) group_failed_ = true;
        if (!head_result_) head_result_ = std::move(r);
        return;
    }
    Step s = std::move(inflight_.front());
    inflight_.pop_front();
    ResultPtr got = std::move(head_result_);
    Result::Kind k = got ? kind_of(PQresultStatus(got.get())) : Result::Kind::Failed;
    std::string err = got ? trimmed(PQresultErrorMessage(got.get())) : "no result";
    if (k != Result::Kind::Failed) err.clear();
    if (s.on_result) s.on_result(Result(k, std::move(got), std::move(err)));
}

void Conn::fail(std::string why) {
    bool first = state_ != State::Broken;
    state_ = State::Broken;
    if (first) {
        why_ = why;
        if (fd_ >= 0) loop_.remove_fd(fd_);
        fd_ = -1;
        head_result_.reset();
        conn_.reset();
    }
    std::deque<Step> lost;
    lost.swap(inflight_);
    for (auto& s : queued_) lost.push_back(std::move(s));
    queued_.clear();
    // Callbacks may queue more or destroy *this: finish from locals.
    auto alive = alive_;
    StateFn tell = first ? on_state_ : StateFn{};
    for (auto& s : lost) {
        if (!*alive) return;
        if (s.is_sync && s.on_sync) s.on_sync(false);
        if (!s.is_sync && s.on_result) s.on_result(Result(Result::Kind::Lost, nullptr, why));
    }
    if (*alive && tell) tell(State::Broken, why);
}

}  // namespace tacit::store::pg
