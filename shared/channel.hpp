// The sealed channel of tacit-protocol(7), SEALED FRAMES: AES-256-GCM per direction,
// IV = session_iv XOR (0^4 | u64 seq), AAD = the frame's length prefix.
// A frame that fails to open is fatal for the connection (replay, reorder
// and tampering all end there), so open() has no retry state.
#pragma once
#include <optional>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"

namespace tacit {

enum class Role { Client, Server };

class Channel {
public:
    // send_key/recv_key are the direction keys as seen from `role`.
    Channel(ByteView send_key, ByteView recv_key, const Array<12>& iv);
    static Channel for_role(Role role, ByteView k_c2s, ByteView k_s2c, const Array<12>& iv);

    // Returns the whole frame: u32 length | ciphertext | tag.
    Bytes seal(ByteView plaintext);
    // Opens a frame body (without its prefix). nullopt means: close.
    std::optional<Secret> open(ByteView body);

    uint64_t next_send_seq() const { return send_seq_; }
    uint64_t next_recv_seq() const { return recv_seq_; }

private:
    Array<12> iv_for(uint64_t seq) const;
    std::optional<crypto::Gcm> send_, recv_;
    Array<12> iv_{};
    uint64_t send_seq_ = 0, recv_seq_ = 0;
};

}  // namespace tacit
