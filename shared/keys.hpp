// Identities and their files (tacit-protocol(7), Keys and
// fingerprints, BUNDLES): public bundles
// and fingerprints, the server's key files, the user's password-sealed key
// file, and the password-derived keys.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"

namespace tacit {

// u8 1 | blob rsa3072_public_der | x25519_pub[32]
struct UserBundle {
    Bytes rsa_der;
    Array<32> box_pub{};
    Bytes encode() const;
    // nullopt unless the DER is a canonical RSA-3072 SubjectPublicKeyInfo
    // with e = 65537 (PkKey refuses any other exponent) and the box key is a
    // usable X25519 point.
    static std::optional<UserBundle> decode(ByteView b);
};

// u8 2 | blob p256_public_der | x25519_pub[32]
struct ServerBundle {
    Bytes p256_der;
    Array<32> box_pub{};
    Bytes encode() const;
    static std::optional<ServerBundle> decode(ByteView b);
};

// "SHA256:" + unpadded base64 of SHA-256(bundle), as OpenSSH shows host keys.
std::string fingerprint(ByteView bundle);

struct ServerIdentity {
    crypto::PkKey sign;  // P-256
    crypto::X25519Key box;
    ServerBundle bundle() const;
    static ServerIdentity generate();
};

// Creates dir/server.key (mode 0600) and dir/server.pub; never overwrites
// either. Throws std::runtime_error.
void write_server_keys(const std::string& dir, const ServerIdentity& id);
// Throws std::runtime_error, also when the file is group/world accessible.
ServerIdentity load_server_key(const std::string& path);
// "tacit-server-v2 <base64 bundle>", a trailing newline optional; the
// "tacit-server-v1 " prefix of the same bytes is read too.
std::optional<ServerBundle> parse_server_pub(std::string_view text);
std::string format_server_pub(const ServerBundle& b);  // ends in "\n"

struct UserIdentity {
    crypto::PkKey sign;  // RSA-3072
    crypto::X25519Key box;
    UserBundle bundle() const;
    static UserIdentity generate();
};

// The PBKDF2 salt of one account (tacit-protocol(7), PASSWORDS): 16 bytes
// drawn from the DRBG at registration and at each password change, kept in
// the identity file's header.
class PasswordSalt {
public:
    static constexpr size_t kSize = 16;
    static PasswordSalt fresh();
    static PasswordSalt random(const Array<kSize>& salt);
    ByteView bytes() const { return bytes_; }

private:
    explicit PasswordSalt(const Array<kSize>& salt) : bytes_(salt) {}
    Array<kSize> bytes_;
};

// The identity file (tacit-protocol(7), STORAGE, The client's identity file):
//   "tacit-user-key-v3\n" | salt[16] | iv[12] | AES-256-GCM(private DER |
//   x25519 priv[32]) | tag[16], the magic and salt as AAD.
Bytes seal_user_keyfile(const UserIdentity& id, ByteView file_key, const PasswordSalt& salt);
// Current: the layout above. ProtocolV1: a file of protocol v1 (magic
// "tacit-user-key-v1\n" or "-v2\n"), whose keys derive from labels this
// version does not use, so it cannot be opened (DIFFERENCES). Unknown: not
// an identity file, or damaged, too short or too long.
enum class KeyfileKind { Current, ProtocolV1, Unknown };
KeyfileKind user_keyfile_kind(ByteView data);
// The salt the file's header names, read before PBKDF2; nullopt unless Current.
std::optional<PasswordSalt> user_keyfile_salt(ByteView data);
std::optional<UserIdentity> open_user_keyfile(ByteView data, ByteView file_key);

struct PasswordKeys {
    Secret auth;      // sent as "pass"
    Secret file_key;  // never leaves the client
    PasswordSalt salt;  // what they were derived with, for the identity file
};
// 600000, or TACIT_KDF_ITERATIONS when set to a number >= 1 (a knob for
// tests and slow machines; both ends of one account must agree on it).
unsigned kdf_iterations();
PasswordKeys derive_password(std::string_view password, const PasswordSalt& salt);

}  // namespace tacit
