// A protocol-level client for integration tests that must say what the
// client core never would: a wrong proof, a bad signature, a foreign token,
// an oversized or tampered enc_msg, an UPDATE1 never acknowledged. It speaks
// over the real sealed channel (SecureConn), so only the tested field is off.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "tests/integration/harness.hpp"
#include "tui/client/secure_conn.hpp"

namespace tacit::test {

class RawClient {
public:
    // Connects (over the Unix socket with unix_socket) and completes HELLO
    // (throws client::ConnError or std::runtime_error when refused).
    explicit RawClient(const TestServer& s, int timeout_ms = 10000, bool unix_socket = false);
    // Connects with RESUME(token) instead of HELLO. *refused is set when the
    // server answered AUTH_FAILED (the returned client is then unusable).
    static std::unique_ptr<RawClient> resume(const TestServer& s, const Token& token, bool* refused);

    client::SecureConn& conn() { return *conn_; }
    // Seals type|fields with one signature per signer.
    void send(Bytes body, const crypto::PkKey* s1 = nullptr, const crypto::PkKey* s2 = nullptr);
    // The next frame other than NOTIFY (those are kept in notes). nullopt on
    // timeout; throws client::ConnError once the server has closed.
    std::optional<client::Frame> next(int timeout_ms = 10000);
    // send + next; REQUIREs that a reply came.
    client::Frame call(Bytes body, const crypto::PkKey* s1 = nullptr, const crypto::PkKey* s2 = nullptr);
    // True when the server closes the connection within timeout_ms; frames
    // that arrive meanwhile are skipped.
    bool closed_within(int timeout_ms);

    // LOGIN1 + LOGIN2 signed by id. With corrupt_proof the HMAC proof is
    // computed correctly and then one bit is flipped. On OK, token/user/id
    // are set and the connection counts as logged in.
    msg::Login2R login(const std::string& user, const std::string& password, const UserIdentity& id,
                       bool corrupt_proof = false);
    // REGISTER signed by id (which need not be fresh: tests reuse one RSA key
    // for many accounts to save key generation). The salt is the user's
    // name unless one is given (see write_identity). Returns the reply.
    msg::RegisterR register_user(const std::string& user, const std::string& password, const UserIdentity& id,
                                 const std::optional<PasswordSalt>& salt = std::nullopt);
    // MSG1 for target's public bundle; nullopt plus *status on ERROR.
    std::optional<Bytes> key_of(const std::string& target, uint8_t* status = nullptr);
    // MSG2 with the given enc_msg/wrapped_key, signed by signer (default: id).
    msg::Msg2R msg2(const std::string& target, Bytes enc_msg, Bytes wrapped_key,
                    const crypto::PkKey* signer = nullptr);
    // ONLINE with the given token, signed by signer (default: id).
    client::Frame online(const Token& token, const crypto::PkKey* signer = nullptr);
    // UPDATE1 with this session's token; REQUIREs an UPDATE1_R that echoes
    // nonce1. The page is acknowledged with UPDATE2(nonce2) by the caller.
    msg::Update1R update1();
    // LOGOUT with this session's token; the server closes the connection.
    void logout();

    Token token{};
    std::string user;
    const UserIdentity* id = nullptr;
    std::vector<msg::Notify> notes;

private:
    RawClient() = default;
    std::unique_ptr<client::SecureConn> conn_;
};

// The status of an ERROR frame, or -1 if the frame is not an ERROR.
int error_status(const client::Frame& f);
std::string error_msg(const client::Frame& f);
uint8_t frame_type(const client::Frame& f);

// Where a TestClient keeps user's files for server s.
std::string user_dir(const TestServer& s, const TestClient& c, const std::string& user);
// A fixed 16-byte salt per user name (the first half of SHA-256 of
// "tacit test salt|" + user), so RawClient registrations need no identity
// file to log in again. Test-only: real clients draw theirs at random.
PasswordSalt test_salt(const std::string& user);
// The PBKDF2 salt RawClient::login and write_identity use for user: the one
// of the account under that name the test last registered with RawClient
// (test_salt(user), unless given) or opened with load_identity.
PasswordSalt account_salt(const std::string& user);
// Records the salt of an account the test just registered.
void note_account_salt(const std::string& user, const PasswordSalt& salt);
// Opens the password-sealed identity.key a TestClient wrote (REQUIREs it
// opens), with the salt in its header, which account_salt(user) then is.
UserIdentity load_identity(const TestServer& s, const TestClient& c, const std::string& user,
                           const std::string& password);
// Writes user's identity.key under c's data dir as register_user would, so
// the client core can log in to an account created with RawClient, sealed
// with account_salt(user), in the layout of tacit-protocol(7), Client
// identity file.
void install_identity(const TestServer& s, const TestClient& c, const std::string& user,
                      const std::string& password, const UserIdentity& id);
// The same into an account directory of any client ($XDG_DATA_HOME/tacit/SERVER/USER).
void write_identity(const std::string& dir, const std::string& user, const std::string& password,
                    const UserIdentity& id);

// One RSA-3072 identity generated once per process and shared by accounts
// whose keys don't matter to a test (key generation costs ~0.5-2 s each).
const UserIdentity& shared_identity();
// Registers each user with shared_identity() over one raw connection and
// installs their key files for c, so c can then log in as any of them
// (REQUIREs success).
void register_shared(const TestServer& s, const TestClient& c, const std::vector<std::string>& users,
                     const std::string& password = "pw");

// Every regular file under dir whose bytes contain needle (recursively).
std::vector<std::string> files_containing(const std::string& dir, const std::string& needle);
// Total bytes of the regular files under dir.
size_t tree_bytes(const std::string& dir);

}  // namespace tacit::test
