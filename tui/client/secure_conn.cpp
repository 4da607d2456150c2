#include "tui/client/secure_conn.hpp"

#include <fmt/core.h>

#include "shared/clock.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"

namespace tacit::client {

ServerBundle parse_key_response(ByteView body) {
    try {
        Reader r(body);
        auto magic = r.raw_view(4);
        if (as_chars(magic) != proto::kMagic || r.u8() != proto::kVersion ||
            r.u8() != uint8_t(proto::Kind::KeyResponse))
            throw ConnError("not a tacit key response");
        auto b = r.blob(proto::kMaxBundle);
        r.finish();
        auto sb = ServerBundle::decode(b);
        if (!sb) throw ConnError("server sent an invalid key bundle");
        return *sb;
    } catch (const WireError&) {
        throw ConnError("malformed key response");
    }
}

std::optional<ClientKeys> open_handshake_reply(uint8_t kind, const ClientOffer& co, ByteView sent_body,
                                               ByteView reply) {
    // The reply is sealed under the preliminary key (tacit-protocol(7),
    // HELLO_R): only the holder of the pinned server key can produce it.
    auto pt = open_preliminary(co.offer, reply);
    if (!pt) throw ConnError("handshake reply does not open: this is not the pinned server");
    try {
        if (pt->size() && (*pt)[0] == proto::ERROR) {
            auto e = msg::decode_error(*pt);
            if (e.m.status == proto::AUTH_FAILED) return std::nullopt;
            throw ConnError("server refused the handshake: " + e.m.msg);
        }
        Array<32> random, eph;
        Nonce nonce;
        if (kind == uint8_t(proto::Kind::Hello)) {
            auto d = msg::decode<msg::HelloR>(*pt);
            random = d.m.server_random, eph = d.m.server_eph_pub, nonce = d.m.nonce;
        } else {
            auto d = msg::decode<msg::Renew2R>(*pt);
            random = d.m.server_random, eph = d.m.server_eph_pub, nonce = d.m.nonce;
        }
        if (!ct_equal(nonce, co.offer.nonce)) throw ConnError("handshake reply carries the wrong nonce");
        auto keys = client_establish(co, random, eph, sent_body);
        if (!keys) throw ConnError("handshake with zero shared secret");
        return keys;
    } catch (const WireError& e) {
        throw ConnError(std::string("malformed handshake reply: ") + e.what());
    }
}

ServerBundle SecureConn::key_request(const Endpoint& ep, int timeout_ms) {
    auto fd = connect_endpoint(ep, timeout_ms);
    if (!write_all(fd.get(), frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::KeyRequest), {})), timeout_ms))
        throw ConnError("could not send key request to " + to_string(ep));
    FrameDecoder dec(proto::kMaxFramePreLogin);
    Bytes body;
    if (tacit::read_frame(fd.get(), dec, body, timeout_ms) != ReadResult::Frame)
        throw ConnError("no key response from " + to_string(ep));
    return parse_key_response(body);
}

// The bundle was validated when it was decoded, so this only fails on a bug.
crypto::PkKey parse_server_key(const ServerBundle& b) {
    auto k = crypto::PkKey::parse_public_der(b.p256_der);
    if (!k) throw ConnError("the pinned server key does not parse");
    return std::move(*k);
}

void sign_c2s(Bytes& body, const Array<32>& session_id, uint64_t seq, const crypto::PkKey* signer,
              const crypto::PkKey* signer2) {
    if (!signer && !signer2) return;
    auto in = msg::sig_input(proto::C2S, session_id, seq, body);
    if (signer) msg::append_sig(body, signer->sign(in));
    if (signer2) msg::append_sig(body, signer2->sign(in));
}

bool verify_s2c(const crypto::PkKey& server, batch::Verifier& v, const Array<32>& session_id, const Frame& f,
                size_t signed_len, ByteView sig) {
    // sig is a batch proof (tacit-protocol(7), "Batch signatures").
    auto in = msg::sig_input(proto::S2C, session_id, f.seq, f.pt.view().first(signed_len));
    return v.verify(server, in, sig);
}

SecureConn::SecureConn(const Endpoint& ep, ServerBundle server, int timeout_ms)
    : ep_(ep), server_(std::move(server)), server_key_(parse_server_key(server_)), timeout_ms_(timeout_ms) {}

bool SecureConn::establish(uint8_t kind, const char* label, std::optional<Token> token) {
    fd_ = connect_endpoint(ep_, timeout_ms_);
    auto co = make_offer(label, server_.box_pub, KeyOffer::fresh(token));
    auto body = plain_frame_body(kind, co.ecies);
    if (!write_all(fd_.get(), frame_with_prefix(body), timeout_ms_)) throw ConnError("handshake send failed");
    last_send_ms_ = mono_ms();
    auto reply = read_frame(timeout_ms_);
    if (!reply) throw ConnError("server did not answer the handshake (rate limited or down)");
    auto keys = open_handshake_reply(kind, co, body, *reply);
    if (!keys) return false;
    ch_.emplace(std::move(keys->channel));
    session_id_ = keys->session_id;
    return true;
}

void SecureConn::hello() { establish(uint8_t(proto::Kind::Hello), "hello", std::nullopt); }

bool SecureConn::resume(const Token& token) {
    if (!establish(uint8_t(proto::Kind::Resume), "resume", token)) return false;
    dec_.set_max(proto::kMaxFrameLoggedIn);
    return true;
}

void SecureConn::send(Bytes body, const crypto::PkKey* signer, const crypto::PkKey* signer2) {
    if (!ch_ || !fd_) throw ConnError("not connected");
    sign_c2s(body, session_id_, ch_->next_send_seq(), signer, signer2);
    auto frame = ch_->seal(body);
    wipe(body.data(), body.size());
    if (!write_all(fd_.get(), frame, timeout_ms_)) throw ConnError("connection lost while sending");
    last_send_ms_ = mono_ms();
}

std::optional<Bytes> SecureConn::read_frame(int timeout_ms) {
    Bytes body;
    switch (tacit::read_frame(fd_.get(), dec_, body, timeout_ms)) {
    case ReadResult::Frame: return body;
    case ReadResult::Timeout: return std::nullopt;
    case ReadResult::Closed: fd_.reset(); throw ConnError("connection closed by server");
    case ReadResult::BadLength: fd_.reset(); throw ConnError("server sent a bad frame length");
    }
    return std::nullopt;
}

std::optional<Frame> SecureConn::recv(int timeout_ms) {
    if (!ch_ || !fd_) throw ConnError("not connected");
    auto body = read_frame(timeout_ms);
    if (!body) return std::nullopt;
    uint64_t seq = ch_->next_recv_seq();
    auto pt = ch_->open(*body);
    if (!pt) {
        fd_.reset();
        throw ConnError("a frame from the server failed to open; connection dropped");
    }
    return Frame{std::move(*pt), seq};
}

bool SecureConn::verify_server_sig(const Frame& f, size_t signed_len, ByteView sig) const {
    return verify_s2c(server_key_, verifier_, session_id_, f, signed_len, sig);
}

Bytes SecureConn::begin_renew(const Token& token) {
    renew_ = make_offer("renew", server_.box_pub, KeyOffer::fresh(token));
    return renew_->ecies;
}

bool SecureConn::finish_renew(const Array<32>& server_random, const Array<32>& server_eph_pub,
                              const Nonce& nonce) {
    if (!renew_ || !ct_equal(nonce, renew_->offer.nonce)) return false;
    auto keys = client_establish(*renew_, server_random, server_eph_pub, renew_->ecies);
    renew_.reset();
    if (!keys) return false;
    ch_.emplace(std::move(keys->channel));
    session_id_ = keys->session_id;
    return true;
}

}  // namespace tacit::client
