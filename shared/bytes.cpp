#include "shared/bytes.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>

namespace tacit {

void wipe(void* p, size_t n) { mbedtls_platform_zeroize(p, n); }

bool ct_equal(ByteView a, ByteView b) {
    if (a.size() != b.size()) return false;
    volatile uint8_t acc = 0;
    for (size_t i = 0; i < a.size(); ++i) acc = acc | (a[i] ^ b[i]);
    return acc == 0;
}

std::string to_hex(ByteView b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (uint8_t c : b) {
        s.push_back(d[c >> 4]);
        s.push_back(d[c & 15]);
    }
    return s;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<Bytes> from_hex(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    Bytes out(s.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = uint8_t(hi << 4 | lo);
    }
    return out;
}

std::string base64(ByteView b, bool pad) {
    size_t olen = 0;
    mbedtls_base64_encode(nullptr, 0, &olen, b.data(), b.size());
    std::string s(olen, '\0');
    if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(s.data()), s.size(), &olen,
                              b.data(), b.size()) != 0)
        return {};
    s.resize(olen);
    if (!pad)
        while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::optional<Bytes> unbase64(std::string_view s) {
    size_t olen = 0;
    int rc = mbedtls_base64_decode(nullptr, 0, &olen,
                                   reinterpret_cast<const unsigned char*>(s.data()), s.size());
    if (rc != 0 && rc != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) return std::nullopt;
    Bytes out(olen);
    if (mbedtls_base64_decode(out.data(), out.size(), &olen,
                              reinterpret_cast<const unsigned char*>(s.data()), s.size()) != 0)
        return std::nullopt;
    out.resize(olen);
    return out;
}

}  // namespace tacit
