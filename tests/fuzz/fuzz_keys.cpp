// libFuzzer target for everything that parses key material a peer or a file
// hands us (shared/keys.hpp): user and server bundles (from the server, from
// MSG1_R), the server.pub text, and the password-sealed identity.key under a
// fixed file key. The first byte picks a mode:
//   0: UserBundle::decode     1: ServerBundle::decode
//   2: parse_server_pub       3: open_user_keyfile on the raw bytes
//   4: the rest sealed as a key file's plaintext (private DER | x25519[32]),
//      so the DER parser sees it
//   5: PkKey::parse_public_der / parse_private_der directly
// Anything accepted must be canonical: it re-encodes to the same bytes.
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "shared/crypto.hpp"
#include "shared/keys.hpp"

using namespace tacit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

const Array<32> kFileKey = [] {
    Array<32> k{};
    for (int i = 0; i < 32; ++i) k[size_t(i)] = uint8_t(0xA0 ^ i);
    return k;
}();

Bytes seal_as_keyfile(ByteView plain) {
    static const std::string_view kMagic = "tacit-user-key-v1\n";
    Array<12> iv{};
    Bytes out(kMagic.begin(), kMagic.end());
    out.insert(out.end(), iv.begin(), iv.end());
    Bytes ct = crypto::gcm_seal(kFileKey, iv, as_bytes(kMagic), plain);
    out.insert(out.end(), ct.begin(), ct.end());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 6) {
    case 0:
        if (auto b = UserBundle::decode(in)) {
            check(b->encode() == Bytes(in.begin(), in.end()));
            check(crypto::PkKey::parse_public_der(b->rsa_der).has_value());
            check(!fingerprint(in).empty());
        }
        break;
    case 1:
        if (auto b = ServerBundle::decode(in)) check(b->encode() == Bytes(in.begin(), in.end()));
        break;
    case 2:
        if (auto b = parse_server_pub(as_chars(in))) {
            auto again = parse_server_pub(format_server_pub(*b));
            check(again && again->encode() == b->encode());
        }
        break;
    case 3:
        // Only a file sealed under the key opens (the seed is one), and
        // what opens is an RSA-3072 key; a wrong-size key never opens.
        // A file that opens has a header that names its 16-byte salt.
        if (auto id = open_user_keyfile(in, kFileKey)) {
            check(id->sign.bits() == 3072);
            auto salt = user_keyfile_salt(in);
            check(salt && salt->bytes().size() == 16 && user_keyfile_kind(in) == KeyfileKind::Current);
        }
        check(!open_user_keyfile(in, ByteView(kFileKey).first(16)));
        break;
    case 4: {
        auto id = open_user_keyfile(seal_as_keyfile(in), kFileKey);
        if (id) {
            // A key file that opens holds an RSA-3072 key that signs, and its
            // box key is the last 32 bytes.
            check(id->sign.has_private() && id->sign.bits() == 3072);
            check(std::memcmp(id->box.priv.a.data(), in.data() + in.size() - 32, 32) == 0);
        }
        break;
    }
    default: {
        if (auto k = crypto::PkKey::parse_public_der(in)) check(k->public_der() == Bytes(in.begin(), in.end()));
        auto p = crypto::PkKey::parse_private_der(in);
        if (p) check(p->has_private());
        break;
    }
    }
    return 0;
}
