#include "shared/frame_decoder.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "shared/wire.hpp"

namespace tacit {

namespace {
constexpr size_t kPrefix = 4;
// An idle connection keeps at most this much buffer capacity: with 10,000
// connections a retained 1 MiB frame buffer each would be 10 GB.
constexpr size_t kKeepCapacity = 8 * 1024;
}  // namespace

// Checks the length prefix of the first unconsumed frame, if it has arrived.
bool FrameDecoder::check_head() {
    if (bad_) return false;
    if (buffered() < kPrefix) return true;
    uint32_t len = get_u32be(&buf_[off_]);
    if (len == 0 || len > max_) {
        bad_ = true;
        Bytes().swap(buf_);
        off_ = 0;
        return false;
    }
    return true;
}

// Moves the unconsumed tail to the front only when it is no longer than what
// was consumed, so every byte is moved O(1) times on average.
void FrameDecoder::compact() {
    if (off_ == 0) return;
    size_t rest = buf_.size() - off_;
    if (rest == 0) {
        if (buf_.capacity() > kKeepCapacity) Bytes().swap(buf_);
        else buf_.clear();
        off_ = 0;
    } else if (rest <= off_) {
        std::memmove(buf_.data(), buf_.data() + off_, rest);
        buf_.resize(rest);
        off_ = 0;
    }
}

void FrameDecoder::feed(ByteView data) {
    if (bad_ || data.empty()) return;
    compact();
    // Complete the prefix first so a bad length is caught before the body is
    // stored: at most 4 + max bytes are ever held for the frame being read.
    size_t used = 0;
    if (buffered() < kPrefix) {
        used = std::min(kPrefix - buffered(), data.size());
        buf_.insert(buf_.end(), data.begin(), data.begin() + used);
        if (!check_head()) return;
    }
    buf_.insert(buf_.end(), data.begin() + used, data.end());
}

FrameDecoder::Result FrameDecoder::next(Bytes& body) {
    if (!check_head()) return Result::BadLength;
    if (buffered() < kPrefix) return Result::NeedMore;
    size_t len = get_u32be(&buf_[off_]);
    if (buffered() - kPrefix < len) return Result::NeedMore;
    const uint8_t* p = buf_.data() + off_ + kPrefix;
    body.assign(p, p + len);
    off_ += kPrefix + len;
    if (off_ == buf_.size()) compact();
    return Result::Frame;
}

void append_frame(Bytes& out, ByteView body) {
    if (body.size() > std::numeric_limits<uint32_t>::max())
        throw std::length_error("frame body too large");
    uint8_t p[kPrefix];
    put_u32be(p, uint32_t(body.size()));
    out.reserve(out.size() + kPrefix + body.size());
    out.insert(out.end(), p, p + kPrefix);
    out.insert(out.end(), body.begin(), body.end());
}

Bytes frame_with_prefix(ByteView body) {
    Bytes out;
    append_frame(out, body);
    return out;
}

}  // namespace tacit
