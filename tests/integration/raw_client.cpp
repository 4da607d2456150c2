#include "tests/integration/raw_client.hpp"

#include "tests/integration/raw_frames.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tui/client/account.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/paths.hpp"

namespace tacit::test {

namespace {

// User -> the salt of the account under that name that the test last
// registered (RawClient::register_user) or opened (load_identity). One test
// process, one thread; a test case that registers anew overwrites it.
std::map<std::string, PasswordSalt>& salts_seen() {
    static std::map<std::string, PasswordSalt> m;
    return m;
}

}  // namespace

void note_account_salt(const std::string& user, const PasswordSalt& salt) {
    salts_seen().insert_or_assign(user, salt);
}

PasswordSalt test_salt(const std::string& user) {
    auto h = crypto::sha256({as_bytes("tacit test salt|"), as_bytes(user)});
    Array<PasswordSalt::kSize> salt;
    std::copy_n(h.begin(), salt.size(), salt.begin());
    return PasswordSalt::random(salt);
}

PasswordSalt account_salt(const std::string& user) {
    auto it = salts_seen().find(user);
    return it != salts_seen().end() ? it->second : test_salt(user);
}

using client::ConnError;
using client::Frame;
using client::SecureConn;

namespace {

HostPort hostport(const TestServer& s) {
    auto hp = parse_hostport(s.addr(), 0);
    REQUIRE(hp);
    return *hp;
}

Endpoint endpoint(const TestServer& s, bool unix_socket) {
    if (unix_socket) return UnixPath{s.socket_path()};
    return hostport(s);
}

}  // namespace

RawClient::RawClient(const TestServer& s, int timeout_ms, bool unix_socket) {
    conn_ = std::make_unique<SecureConn>(endpoint(s, unix_socket), client::read_server_pub(s.pub_file()), timeout_ms);
    conn_->hello();
}

std::unique_ptr<RawClient> RawClient::resume(const TestServer& s, const Token& token, bool* refused) {
    std::unique_ptr<RawClient> r(new RawClient());
    r->conn_ = std::make_unique<SecureConn>(hostport(s), client::read_server_pub(s.pub_file()), 10000);
    *refused = !r->conn_->resume(token);
    if (!*refused) r->token = token;
    return r;
}

void RawClient::send(Bytes body, const crypto::PkKey* s1, const crypto::PkKey* s2) {
    conn_->send(std::move(body), s1, s2);
}

std::optional<Frame> RawClient::next(int timeout_ms) {
    for (;;) {
        auto f = conn_->recv(timeout_ms);
        if (!f) return std::nullopt;
        if (f->pt.size() && f->pt[0] == proto::NOTIFY) {
            notes.push_back(msg::decode<msg::Notify>(f->pt).m);
            continue;
        }
        return f;
    }
}

Frame RawClient::call(Bytes body, const crypto::PkKey* s1, const crypto::PkKey* s2) {
    send(std::move(body), s1, s2);
    auto f = next();
    REQUIRE(f);
    return std::move(*f);
}

bool RawClient::closed_within(int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        try {
            while (conn_->recv(50)) {}
        } catch (const ConnError&) {
            return true;
        }
    }
    return false;
}

msg::Login2R RawClient::login(const std::string& u, const std::string& password, const UserIdentity& ident,
                              bool corrupt_proof) {
    auto keys = derive_password(password, account_salt(u));
    msg::Login1 l1;
    l1.user = u;
    l1.nonce1 = crypto::random_array<16>();
    auto f1 = call(msg::encode_body(l1), &ident.sign);
    if (frame_type(f1) == proto::ERROR) {
        // RATE_LIMITED and the like: report it as a failed LOGIN2_R.
        msg::Login2R r;
        r.status = uint8_t(error_status(f1));
        r.msg = error_msg(f1);
        return r;
    }
    auto d1 = msg::decode<msg::Login1R>(f1.pt);
    auto verifier = crypto::sha256({keys.auth, d1.m.salt});
    auto proof = crypto::hmac_sha256(verifier, d1.m.nonce2);
    msg::Login2 l2;
    l2.proof.assign(proof.begin(), proof.end());
    if (corrupt_proof) l2.proof[0] ^= 1;
    auto f2 = call(msg::encode_body(l2), &ident.sign);
    REQUIRE(frame_type(f2) == msg::Login2R::type);
    auto d2 = msg::decode<msg::Login2R>(f2.pt);
    if (d2.m.status == proto::OK) {
        REQUIRE(d2.m.nonce1 == l1.nonce1);
        token = d2.m.token;
        user = u;
        id = &ident;
        conn_->logged_in();
    }
    return d2.m;
}

msg::RegisterR RawClient::register_user(const std::string& u, const std::string& password,
                                        const UserIdentity& ident, const std::optional<PasswordSalt>& salt) {
    auto keys = derive_password(password, salt ? *salt : test_salt(u));
    msg::Register m;
    m.user = u;
    m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    m.public_key = ident.bundle().encode();
    m.nonce = crypto::random_array<16>();
    m.prekeys = test_prekeys(ident.sign, u);
    auto f = call(msg::encode_body(m), &ident.sign);
    if (frame_type(f) == proto::ERROR) {
        // Refused before its signature verified: an unsigned ERROR
        // (tacit-protocol(7), REGISTER), reported as a failed REGISTER_R.
        REQUIRE(msg::decode_error(f.pt).sigs.empty());
        msg::RegisterR r;
        r.nonce = m.nonce;
        r.status = uint8_t(error_status(f));
        r.msg = error_msg(f);
        return r;
    }
    REQUIRE(frame_type(f) == msg::RegisterR::type);
    auto d = msg::decode<msg::RegisterR>(f.pt);
    REQUIRE(d.m.nonce == m.nonce);
    if (d.m.status == proto::OK) note_account_salt(u, keys.salt);
    return d.m;
}

std::optional<Bytes> RawClient::key_of(const std::string& target, uint8_t* status) {
    REQUIRE(id);
    msg::Msg1 m;
    m.token = token;
    m.target = target;
    m.nonce1 = crypto::random_array<16>();
    auto f = call(msg::encode_body(m), &id->sign);
    if (frame_type(f) == proto::ERROR) {
        if (status) *status = uint8_t(error_status(f));
        return std::nullopt;
    }
    auto d = msg::decode<msg::Msg1R>(f.pt);
    REQUIRE(d.m.nonce1 == m.nonce1);
    if (status) *status = proto::OK;
    return d.m.target_public_key;
}

msg::Msg2R RawClient::msg2(const std::string& target, Bytes enc_msg, Bytes wrapped_key,
                           const crypto::PkKey* signer) {
    if (!signer) {
        REQUIRE(id);
        signer = &id->sign;
    }
    msg::Msg2 m;
    m.nonce2 = crypto::random_array<16>();
    m.target = target;
    m.enc_msg = std::move(enc_msg);
    m.wrapped_key = std::move(wrapped_key);
    auto f = call(msg::encode_body(m), signer);
    REQUIRE(frame_type(f) == msg::Msg2R::type);
    auto d = msg::decode<msg::Msg2R>(f.pt);
    REQUIRE(d.m.nonce2 == m.nonce2);
    return d.m;
}

Frame RawClient::online(const Token& t, const crypto::PkKey* signer) {
    if (!signer) {
        REQUIRE(id);
        signer = &id->sign;
    }
    msg::Online m;
    m.token = t;
    m.nonce = crypto::random_array<16>();
    return call(msg::encode_body(m), signer);
}

msg::Update1R RawClient::update1() {
    msg::Update1 u;
    u.token = token;
    u.nonce1 = crypto::random_array<16>();
    auto f = call(msg::encode_body(u));
    REQUIRE(frame_type(f) == msg::Update1R::type);
    auto d = msg::decode<msg::Update1R>(f.pt);
    REQUIRE(d.m.nonce1 == u.nonce1);
    return d.m;
}

void RawClient::logout() {
    REQUIRE(id);
    msg::Logout m;
    m.token = token;
    send(msg::encode_body(m), &id->sign);
}

int error_status(const Frame& f) {
    if (frame_type(f) != proto::ERROR) return -1;
    return msg::decode_error(f.pt).m.status;
}

std::string error_msg(const Frame& f) {
    if (frame_type(f) != proto::ERROR) return {};
    return msg::decode_error(f.pt).m.msg;
}

uint8_t frame_type(const Frame& f) { return f.pt.size() ? f.pt[0] : 0; }

std::string user_dir(const TestServer& s, const TestClient& c, const std::string& user) {
    return client::DataDir(c.home + "/tacit").account(client::read_server_pub(s.pub_file()), user).dir();
}

UserIdentity load_identity(const TestServer& s, const TestClient& c, const std::string& user,
                           const std::string& password) {
    std::ifstream in(user_dir(s, c, user) + "/identity.key", std::ios::binary);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    auto data = ss.str();
    auto salt = user_keyfile_salt(as_bytes(data));
    REQUIRE(salt);
    auto keys = derive_password(password, *salt);
    auto id = open_user_keyfile(as_bytes(data), keys.file_key);
    REQUIRE(id);
    note_account_salt(user, *salt);
    return std::move(*id);
}

void install_identity(const TestServer& s, const TestClient& c, const std::string& user,
                      const std::string& password, const UserIdentity& id) {
    write_identity(user_dir(s, c, user), user, password, id);
}

void write_identity(const std::string& dir, const std::string& user, const std::string& password,
                    const UserIdentity& id) {
    client::make_dirs(dir);
    auto keys = derive_password(password, account_salt(user));
    auto data = seal_user_keyfile(id, keys.file_key, keys.salt);
    auto path = dir + "/identity.key";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, data.data(), data.size()) == ssize_t(data.size()));
    REQUIRE(::close(fd) == 0);
}

const UserIdentity& shared_identity() {
    static const UserIdentity id = UserIdentity::generate();
    return id;
}

void register_shared(const TestServer& s, const TestClient& c, const std::vector<std::string>& users,
                     const std::string& password) {
    RawClient raw(s);
    for (auto& user : users) {
        auto r = raw.register_user(user, password, shared_identity());
        INFO("register " << user << ": " << r.msg);
        REQUIRE(r.status == proto::OK);
        install_identity(s, c, user, password, shared_identity());
    }
}

namespace {

template <class F> void walk(const std::string& dir, F&& f) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string p = dir + "/" + name;
        struct stat st{};
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) walk(p, f);
        else if (S_ISREG(st.st_mode)) f(p, st);
    }
    ::closedir(d);
}

}  // namespace

std::vector<std::string> files_containing(const std::string& dir, const std::string& needle) {
    std::vector<std::string> hits;
    walk(dir, [&](const std::string& p, const struct stat&) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        auto data = ss.str();
        if (data.find(needle) != std::string::npos) hits.push_back(p);
    });
    return hits;
}

size_t tree_bytes(const std::string& dir) {
    size_t n = 0;
    walk(dir, [&](const std::string&, const struct stat& st) { n += size_t(st.st_size); });
    return n;
}

}  // namespace tacit::test
