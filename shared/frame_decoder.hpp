// Incremental decoder for the frames of tacit-protocol(7), FRAMING:
// `u32 length (big endian) | body`. Protocol-blind: the caller picks the
// length limit (64 KiB before login, 1 MiB after) and raises it with set_max.
#pragma once
#include <cstddef>

#include "shared/bytes.hpp"

namespace tacit {

class FrameDecoder {
public:
    enum class Result { Frame, NeedMore, BadLength };

    explicit FrameDecoder(size_t max_len) : max_(max_len) {}

    // Applies to every frame whose body is not yet complete, including a
    // half-received one. Lowering it can turn that frame into BadLength.
    void set_max(size_t max_len) { max_ = max_len; }
    size_t max() const { return max_; }

    // Append received bytes. Once the length is bad, input is dropped, so a
    // peer that keeps sending after a bad prefix costs no memory.
    void feed(ByteView data);

    // Pop the next complete frame into body (prefix removed). BadLength is
    // sticky: the stream has lost sync and cannot be trusted again.
    Result next(Bytes& body);

    // Bytes held but not yet returned by next().
    size_t buffered() const { return buf_.size() - off_; }
    bool bad() const { return bad_; }

private:
    bool check_head();
    void compact();

    Bytes buf_;
    size_t off_ = 0;  // start of unconsumed data: popping a frame is O(1)
    size_t max_;
    bool bad_ = false;
};

// `u32 length | body`; throws std::length_error if body exceeds 2^32-1 bytes.
Bytes frame_with_prefix(ByteView body);
void append_frame(Bytes& out, ByteView body);

}  // namespace tacit
