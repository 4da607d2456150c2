#include "tests/integration/raw_frames.hpp"
#include "tests/integration/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <fmt/core.h>
#include <memory>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shared/net.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/secure_conn.hpp"

namespace tacit::test {

namespace {

std::string type_name(uint8_t t) {
    switch (t) {
    case proto::HELLO_R: return "HELLO_R";
    case proto::ERROR: return "ERROR";
    case proto::NOTIFY: return "NOTIFY";
    case proto::reply_type(proto::PING): return "PONG";
    case proto::reply_type(proto::REGISTER): return "REGISTER_R";
    case proto::reply_type(proto::RENEW1): return "RENEW1_R";
    case proto::reply_type(proto::RENEW2): return "RENEW2_R";
    case proto::reply_type(proto::RENEW3): return "RENEW3_R";
    case proto::reply_type(proto::LOGIN1): return "LOGIN1_R";
    case proto::reply_type(proto::LOGIN2): return "LOGIN2_R";
    case proto::reply_type(proto::ONLINE): return "ONLINE_R";
    case proto::reply_type(proto::MSG1): return "MSG1_R";
    case proto::reply_type(proto::MSG2): return "MSG2_R";
    case proto::reply_type(proto::UPDATE1): return "UPDATE1_R";
    case proto::reply_type(proto::GROUP_CREATE): return "GROUP_CREATE_R";
    case proto::reply_type(proto::GROUP_ADD): return "GROUP_ADD_R";
    case proto::reply_type(proto::GROUP_REMOVE): return "GROUP_REMOVE_R";
    case proto::reply_type(proto::GROUP_MSG1): return "GROUP_MSG1_R";
    case proto::reply_type(proto::GROUP_MSG2): return "GROUP_MSG2_R";
    case proto::reply_type(proto::GROUP_MSG2_BATCH): return "GROUP_MSG2_BATCH_R";
    default: return fmt::format("type 0x{:02x}", t);
    }
}

}  // namespace

Outcome outcome_of(const RawFrame& f) {
    Outcome o;
    o.type = f.type();
    o.status = proto::OK;
    try {
        if (o.type == proto::ERROR) {
            auto e = msg::decode_error(f.pt);
            o.status = e.m.status;
            o.msg = e.m.msg;
            return o;
        }
        bool known = msg::with_message_type(o.type, [&](auto id) {
            using M = typename decltype(id)::type;
            auto d = msg::decode<M>(f.pt);
            if constexpr (requires { d.m.status; d.m.msg; }) {
                o.status = d.m.status;
                o.msg = d.m.msg;
            }
        });
        if (!known) o.msg = "unknown reply type";
    } catch (const WireError& e) {
        o.status = 0xEE;
        o.msg = std::string("undecodable reply: ") + e.what();
    }
    return o;
}

std::string describe(const Outcome& o) {
    if (o.closed) return "connection closed";
    if (o.timeout) return "no reply";
    std::string s = type_name(o.type) + " " + std::string(proto::status_name(o.status));
    if (!o.msg.empty()) s += ": " + o.msg;
    return s;
}

namespace {
// A blocking TCP connection to 127.0.0.1:port from from_ip:0.
UniqueFd connect_from(const std::string& from_ip, uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error("socket failed");
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    if (inet_pton(AF_INET, from_ip.c_str(), &src.sin_addr) != 1) throw std::runtime_error("bad from_ip " + from_ip);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    dst.sin_port = htons(port);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src) != 0)
        throw std::runtime_error("cannot bind " + from_ip);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0)
        throw std::runtime_error("cannot connect from " + from_ip);
    set_nodelay(fd.get());
    return fd;
}
}  // namespace

FrameConn::FrameConn(const TestServer& s, int timeout_ms, const std::string& from_ip)
    : server_(client::read_server_pub(s.pub_file())), timeout_ms_(timeout_ms) {
    signal(SIGPIPE, SIG_IGN);
    fd_ = from_ip.empty() ? connect_tcp(*parse_hostport(s.addr(), 0), timeout_ms) : connect_from(from_ip, s.port());
}

bool FrameConn::write(ByteView bytes) {
    if (!fd_) return false;
    return write_all(fd_.get(), bytes, timeout_ms_);
}

std::optional<Bytes> FrameConn::read_body(int timeout_ms) {
    if (!fd_ || closed_) return std::nullopt;
    Bytes body;
    switch (read_frame(fd_.get(), dec_, body, timeout_ms)) {
    case ReadResult::Frame: return body;
    case ReadResult::Timeout: return std::nullopt;
    case ReadResult::Closed:
    case ReadResult::BadLength: closed_ = true; return std::nullopt;
    }
    return std::nullopt;
}

bool FrameConn::establish(uint8_t kind, const char* label, std::optional<Token> token) {
    auto co = make_offer(label, server_.box_pub, KeyOffer::fresh(token));
    auto body = plain_frame_body(kind, co.ecies);
    if (!write(frame_with_prefix(body))) throw std::runtime_error("handshake send failed");
    auto reply = read_body(timeout_ms_);
    if (!reply) throw std::runtime_error("no handshake reply");
    auto pt = open_preliminary(co.offer, *reply);
    if (!pt) throw std::runtime_error("handshake reply does not open");
    if (pt->size() && (*pt)[0] == proto::ERROR) {
        auto e = msg::decode_error(*pt);
        if (e.m.status == proto::AUTH_FAILED) return false;
        throw std::runtime_error("handshake refused: " + e.m.msg);
    }
    Array<32> random, eph;
    if (kind == uint8_t(proto::Kind::Hello)) {
        auto d = msg::decode<msg::HelloR>(*pt);
        random = d.m.server_random, eph = d.m.server_eph_pub;
    } else {
        auto d = msg::decode<msg::Renew2R>(*pt);
        random = d.m.server_random, eph = d.m.server_eph_pub;
    }
    auto keys = client_establish(co, random, eph, body);
    if (!keys) throw std::runtime_error("zero shared secret");
    ch_.emplace(std::move(keys->channel));
    session_id_ = keys->session_id;
    return true;
}

void FrameConn::hello() {
    if (!establish(uint8_t(proto::Kind::Hello), "hello", std::nullopt))
        throw std::runtime_error("HELLO refused");
}

bool FrameConn::resume(const Token& token) { return establish(uint8_t(proto::Kind::Resume), "resume", token); }

Bytes FrameConn::seal(Bytes body, const crypto::PkKey* s1, const crypto::PkKey* s2) {
    if (!ch_) throw std::logic_error("seal before the handshake");
    auto in = msg::sig_input(proto::C2S, session_id_, ch_->next_send_seq(), body);
    if (s1) msg::append_sig(body, s1->sign(in));
    if (s2) msg::append_sig(body, s2->sign(in));
    return ch_->seal(body);
}

std::optional<RawFrame> FrameConn::recv(int timeout_ms) {
    if (!ch_) throw std::logic_error("recv before the handshake");
    auto body = read_body(timeout_ms);
    if (!body) return std::nullopt;
    uint64_t seq = ch_->next_recv_seq();
    auto pt = ch_->open(*body);
    if (!pt) throw std::runtime_error("a server frame failed to open");
    return RawFrame{Bytes(pt->view().begin(), pt->view().end()), seq};
}

std::optional<RawFrame> FrameConn::reply(int timeout_ms) {
    for (;;) {
        auto f = recv(timeout_ms);
        if (!f || f->type() != proto::NOTIFY) return f;
    }
}

Outcome FrameConn::call(Bytes body, const crypto::PkKey* s1, const crypto::PkKey* s2, int timeout_ms) {
    Outcome o;
    if (!send(std::move(body), s1, s2)) {
        o.closed = true;
        return o;
    }
    auto f = reply(timeout_ms);
    if (!f) {
        o.closed = closed_;
        o.timeout = !closed_;
        return o;
    }
    return outcome_of(*f);
}

bool FrameConn::closed_within(int timeout_ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        // Raw bytes only: after an attack the channel may be out of sync.
        if (!fd_) return true;
        pollfd p{fd_.get(), POLLIN, 0};
        if (poll(&p, 1, int(left)) <= 0) continue;
        uint8_t buf[65536];
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) closed_ = true;
    }
    return true;
}

std::optional<Token> FrameConn::login(const std::string& user, const std::string& password,
                                      const UserIdentity& id, const std::optional<PasswordSalt>& salt) {
    auto keys = derive_password(password, salt ? *salt : account_salt(user));
    msg::Login1 l1;
    l1.user = user;
    l1.nonce1 = test_nonce();
    if (!send(msg::encode_body(l1), &id.sign)) return std::nullopt;
    auto r1 = reply(timeout_ms_);
    if (!r1 || r1->type() != msg::Login1R::type) return std::nullopt;
    auto d1 = msg::decode<msg::Login1R>(r1->pt);
    auto verifier = crypto::sha256({keys.auth, d1.m.salt});
    auto proof = crypto::hmac_sha256(verifier, d1.m.nonce2);
    msg::Login2 l2;
    l2.proof.assign(proof.begin(), proof.end());
    if (!send(msg::encode_body(l2), &id.sign)) return std::nullopt;
    auto r2 = reply(timeout_ms_);
    if (!r2 || r2->type() != msg::Login2R::type) return std::nullopt;
    auto d2 = msg::decode<msg::Login2R>(r2->pt);
    if (d2.m.status != proto::OK) return std::nullopt;
    return d2.m.token;
}

uint8_t FrameConn::register_user(const std::string& user, const std::string& password, const UserIdentity& id) {
    auto keys = derive_password(password, test_salt(user));
    msg::Register m;
    m.user = user;
    m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    m.public_key = id.bundle().encode();
    m.nonce = test_nonce();
    m.prekeys = test_prekeys(id.sign, user);
    auto o = call(msg::encode_body(m), &id.sign);
    if (o.closed || o.timeout) return proto::INTERNAL;
    if (o.status == proto::OK) note_account_salt(user, keys.salt);
    return o.status;
}

bool FrameConn::server_sig_ok(const RawFrame& f, size_t signed_len, ByteView sig) const {
    auto key = crypto::PkKey::parse_public_der(server_.p256_der);
    if (!key) return false;
    // The client's own check (tui/client/secure_conn.hpp): a batch proof.
    client::Frame fr{Secret(ByteView(f.pt)), f.seq};
    return client::verify_s2c(*key, verifier_, session_id_, fr, signed_len, sig);
}

const UserIdentity& pooled_identity(size_t i) {
    static std::mutex mu;
    static std::vector<std::unique_ptr<UserIdentity>> pool;
    std::lock_guard<std::mutex> lock(mu);
    while (pool.size() <= i) pool.push_back(std::make_unique<UserIdentity>(UserIdentity::generate()));
    return *pool[i];
}

Nonce test_nonce() { return crypto::random_array<16>(); }

msg::PrekeySet test_prekeys(const crypto::PkKey& signer, const std::string& user, uint32_t first_id, size_t n) {
    msg::PrekeySet set;
    set.spk = x3dh::sign_prekey(signer, user, 7, 1700000000, crypto::X25519Key::generate().pub);
    for (size_t i = 0; i < n; ++i) set.opks.push_back({uint32_t(first_id + i), crypto::X25519Key::generate().pub});
    return set;
}

namespace {
size_t status_kib(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == field) {
            size_t kb = 0;
            in >> kb;
            return kb;
        }
        std::string rest;
        std::getline(in, rest);
    }
    return 0;
}

}  // namespace

size_t rss_kib(pid_t pid) { return status_kib(pid, "VmRSS:"); }
size_t hwm_kib(pid_t pid) { return status_kib(pid, "VmHWM:"); }

bool process_alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "State:") {
            std::string st;
            in >> st;
            return st != "Z" && st != "X";
        }
        std::string rest;
        std::getline(in, rest);
    }
    return false;
}

bool peer_closed(int fd, int wait_ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        int r = poll(&p, 1, left > 0 ? int(left) : 0);
        if (r > 0) {
            uint8_t buf[65536];
            ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0) return true;
            if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return true;
            continue;
        }
        if (left <= 0) return false;
    }
}

size_t log_count(const TestServer& s, const std::string& needle) {
    auto log = s.log();
    size_t n = 0;
    for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
    return n;
}

bool log_shows(const TestServer& s, const std::string& needle, int timeout_ms, size_t more) {
    for (int waited = 0;; waited += 50) {
        if (log_count(s, needle) > more) return true;
        if (waited >= timeout_ms) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace tacit::test
