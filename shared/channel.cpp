#include "shared/channel.hpp"

#include <stdexcept>

#include "shared/wire.hpp"

namespace tacit {

Channel::Channel(ByteView send_key, ByteView recv_key, const Array<12>& iv) : iv_(iv) {
    if (!send_key.empty()) send_.emplace(send_key);
    if (!recv_key.empty()) recv_.emplace(recv_key);
}

Channel Channel::for_role(Role role, ByteView k_c2s, ByteView k_s2c, const Array<12>& iv) {
    return role == Role::Client ? Channel(k_c2s, k_s2c, iv) : Channel(k_s2c, k_c2s, iv);
}

Array<12> Channel::iv_for(uint64_t seq) const {
    Array<12> iv = iv_;
    for (int i = 0; i < 8; ++i) iv[4 + i] ^= uint8_t(seq >> (56 - 8 * i));
    return iv;
}

Bytes Channel::seal(ByteView plaintext) {
    if (!send_) throw std::logic_error("channel cannot send");
    // Sequence numbers never repeat under one key; 2^64 frames is unreachable
    // but wrapping would reuse an IV, so refuse rather than wrap.
    if (send_seq_ == UINT64_MAX) throw std::runtime_error("sequence exhausted");
    Bytes frame(4 + plaintext.size() + 16);
    put_u32be(frame.data(), uint32_t(plaintext.size() + 16));
    auto iv = iv_for(send_seq_);
    send_->seal(iv, ByteView(frame.data(), 4), plaintext, frame.data() + 4);
    ++send_seq_;
    return frame;
}

std::optional<Secret> Channel::open(ByteView body) {
    if (!recv_ || body.size() < 16 || recv_seq_ == UINT64_MAX) return std::nullopt;
    uint8_t prefix[4];
    put_u32be(prefix, uint32_t(body.size()));
    Secret out(body.size() - 16);
    auto iv = iv_for(recv_seq_);
    if (!recv_->open(iv, ByteView(prefix, 4), body, out.data())) return std::nullopt;
    ++recv_seq_;
    return out;
}

}  // namespace tacit
