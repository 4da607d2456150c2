// The sessions of logged-in users and the connections attached to them:
// a session begins at LOGIN2, is resumed by RESUME, and ends at LOGOUT, a
// key change (RENEW3) or expiry. Sessions live in the store's sessions
// database too (tacit-protocol(7), STORAGE), so a restart logs no one out.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/crypto.hpp"
#include "srv/connection.hpp"
#include "srv/presence.hpp"
#include "srv/session.hpp"
#include "srv/store/operations.hpp"

namespace tacit::srv {

class Sessions {
public:
    // Detaches a connection of an ending session and closes it once its
    // owed output is written (Server::close_after_output).
    using CloseConn = std::function<void(uint64_t conn_id)>;

    Sessions(store::Operations& store, Presence& presence, uint64_t token_ttl_ms, CloseConn close_conn)
        : store_(store), presence_(presence), token_ttl_ms_(token_ttl_ms), close_conn_(std::move(close_conn)) {}

    // At start-up: serves every stored session that is still valid again,
    // and deletes the others from the store (in the pass that follows).
    void restore();

    // The live, unexpired session of this token, or null.
    std::shared_ptr<Session> find(const Token& token) const;
    std::vector<std::shared_ptr<Session>> of_user(const std::string& user) const { return table_.of_user(user); }

    // A new session for a user just logged in; *token gets its token. Its
    // record goes to the store; done gets the write's final status, and by
    // then a session whose record was not stored has been closed.
    std::shared_ptr<Session> begin(const std::string& user, uint32_t key_version, crypto::PkKey key,
                                   Token* token, store::Done<uint8_t> done);
    // End a session: delete it from the store, then close().
    void end(Session& s);
    // Drop the token from memory and close the session's connections after
    // their pending output. The stored session must already be gone (or be
    // going in this pass's commit).
    void close(Session& s);
    // Ends every expired session (the once-a-second sweep).
    void sweep();

    // Attach a connection to a session (login or resume); it is online.
    void attach(Connection& c, std::shared_ptr<Session> s);
    // Undo attach, or a RESUME still waiting for its first frame.
    void detach(Connection& c);
    // A RESUME answered on c no longer counts against its session's
    // connections (its first frame came, or it closed).
    void end_resume(Connection& c);

private:
    store::Operations& store_;
    Presence& presence_;
    uint64_t token_ttl_ms_;
    CloseConn close_conn_;
    SessionTable table_;
};

}  // namespace tacit::srv
