// Byte containers shared by every layer: plain bytes, fixed arrays, and
// secrets that wipe themselves. Secret comparisons are constant time.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tacit {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
template <size_t N> using Array = std::array<uint8_t, N>;
using Nonce = Array<16>;
using Token = Array<32>;

// mbedtls_platform_zeroize under the hood: the compiler may not elide it.
void wipe(void* p, size_t n);
// Constant time in the contents (length is public).
bool ct_equal(ByteView a, ByteView b);

inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes concat(std::initializer_list<ByteView> parts) {
    Bytes out;
    for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A byte buffer that is wiped when it dies or is reassigned. Used for every
// key, password, verifier and plaintext key material.
class Secret {
public:
    Secret() = default;
    explicit Secret(size_t n) : b_(n) {}
    explicit Secret(ByteView v) : b_(v.begin(), v.end()) {}
    Secret(const Secret& o) : b_(o.b_) {}
    Secret(Secret&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
    Secret& operator=(const Secret& o) {
        if (this != &o) { clear(); b_ = o.b_; }
        return *this;
    }
    Secret& operator=(Secret&& o) noexcept {
        if (this != &o) { clear(); b_ = std::move(o.b_); o.b_.clear(); }
        return *this;
    }
    ~Secret() { clear(); }
    void clear() {
        if (!b_.empty()) wipe(b_.data(), b_.size());
        b_.clear();
    }
    uint8_t* data() { return b_.data(); }
    const uint8_t* data() const { return b_.data(); }
    size_t size() const { return b_.size(); }
    bool empty() const { return b_.empty(); }
    ByteView view() const { return {b_.data(), b_.size()}; }
    operator ByteView() const { return view(); }
    void resize(size_t n) { b_.resize(n); }  // callers resize before first use only
    uint8_t& operator[](size_t i) { return b_[i]; }
    uint8_t operator[](size_t i) const { return b_[i]; }

private:
    Bytes b_;
};

// A fixed-size secret, wiped on destruction.
template <size_t N> struct SecretArray {
    Array<N> a{};
    SecretArray() = default;
    SecretArray(const SecretArray&) = default;
    SecretArray& operator=(const SecretArray&) = default;
    ~SecretArray() { wipe(a.data(), N); }
    uint8_t* data() { return a.data(); }
    const uint8_t* data() const { return a.data(); }
    static constexpr size_t size() { return N; }
    ByteView view() const { return {a.data(), N}; }
    operator ByteView() const { return view(); }
};

std::string to_hex(ByteView b);
std::optional<Bytes> from_hex(std::string_view s);
std::string base64(ByteView b, bool pad = true);
std::optional<Bytes> unbase64(std::string_view s);

}  // namespace tacit
