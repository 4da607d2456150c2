// One libpq connection driven by the event loop, for the PostgreSQL store
// that lets several tacitd nodes share one database. The connect is non-blocking and the session
// runs in libpq's pipeline mode: statements are queued, a group of them ends
// with sync(), and the loop never waits on the database. Results reach each
// statement's callback in the order the statements were sent, which is the
// order the server runs them in.
//
// A failed statement aborts the rest of its group (they complete as Aborted)
// and nothing after the group's sync; inside an explicit BEGIN the
// transaction then stays aborted until the owner sends ROLLBACK. Results
// arrive when the server reaches the group's sync. Server notices
// (warnings) are dropped rather than printed. When the connection goes away, every
// statement still waiting completes as Lost, in order, and the state turns
// Broken; the owner opens a new Conn. A COMMIT that completes as Lost may or
// may not have been applied: the caller must not report success.
//
// Everything here belongs to the loop's thread.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/event_loop.hpp"

struct pg_conn;
struct pg_result;

namespace tacit::store::pg {

struct ClearResult {
    void operator()(pg_result* r) const;
};
using ResultPtr = std::unique_ptr<pg_result, ClearResult>;

// A statement parameter, always sent in binary with its type, so bytea goes
// through unescaped and an integer can't be mistaken for text.
struct Param {
    static Param text(std::string_view s);
    static Param bytes(ByteView b);
    static Param i64(int64_t v);
    static Param null_of(unsigned type_oid);
    Bytes value;
    unsigned type_oid = 0;
    bool is_null = false;
};

// What one statement came to. Columns arrive in binary: bytes() for bytea
// and text, i64() for int8 only.
class Result {
public:
    enum class Kind {
        Rows,     // a query's rows (possibly none)
        Done,     // a command without rows
        Failed,   // the server refused it: sqlstate() and error() say why
        Aborted,  // not run: an earlier statement of its group failed
        Lost,     // the connection went away before the result came
    };
    Result(Kind k, ResultPtr r, std::string error);
    Kind kind() const { return kind_; }
    bool ok() const { return kind_ == Kind::Rows || kind_ == Kind::Done; }
    std::string_view sqlstate() const;
    const std::string& error() const { return error_; }
    int rows() const;
    int cols() const;
    bool is_null(int row, int col) const;
    ByteView bytes(int row, int col) const;
    std::string_view text(int row, int col) const;
    int64_t i64(int row, int col) const;  // throws unless the value is 8 bytes
    uint64_t affected() const;            // rows a command touched

private:
    void check_cell(int row, int col) const;
    Kind kind_;
    std::shared_ptr<pg_result> res_;  // shared: a Result is copied into callbacks
    std::string error_;
    std::string sqlstate_;
};

class Conn {
public:
    enum class State { Connecting, Ready, Broken };
    using ResultFn = std::function<void(const Result&)>;
    using SyncFn = std::function<void(bool group_ok)>;
    using StateFn = std::function<void(State, const std::string& why)>;
    using NotifyFn = std::function<void(const std::string& channel, const std::string& payload)>;

    // Starts connecting at once; on_state hears Ready or Broken later, from
    // the loop, never from inside the constructor.
    Conn(EventLoop& loop, std::string conninfo, StateFn on_state);
    ~Conn();  // callbacks still waiting are dropped without running
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    State state() const { return state_; }

    // Queues one statement ($1, $2... for params). Before Ready it waits;
    // once Broken it completes as Lost on a later pass.
    void send(std::string sql, std::vector<Param> params, ResultFn fn);
    // Ends the group sent so far; fn hears whether all of it ran.
    void sync(SyncFn fn = {});
    // LISTEN's deliveries, read whenever input arrives.
    void on_notify(NotifyFn fn) { notify_ = std::move(fn); }
    // Statements and syncs sent or queued whose results have not come.
    size_t waiting() const { return queued_.size() + inflight_.size(); }

private:
    struct Step {
        bool is_sync = false;
        std::string sql;
        std::vector<Param> params;
        ResultFn on_result;
        SyncFn on_sync;
    };
    struct Finish {
        void operator()(pg_conn* c) const;
    };

    void poll_connect();
    void on_io(uint32_t events);
    void become_ready();
    void fail(std::string why);
    bool transmit(Step& s);
    void flush();
    void read_results();
    void deliver(ResultPtr r);
    void watch(int fd, uint32_t mask);
    void read_notifies();
    void queue_while_down(Step s);

    EventLoop& loop_;
    std::unique_ptr<pg_conn, Finish> conn_;
    StateFn on_state_;
    NotifyFn notify_;
    State state_ = State::Connecting;
    std::string why_;
    int fd_ = -1;
    uint32_t mask_ = 0;
    std::deque<Step> queued_;    // waiting for Ready
    std::deque<Step> inflight_;  // sent, result not yet delivered
    ResultPtr head_result_;  // the head statement's result, until libpq's end marker
    bool group_failed_ = false;
    std::shared_ptr<bool> alive_;  // lets posted work see that the Conn is gone
};

}  // namespace tacit::store::pg
