#include "shared/keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "shared/unique_fd.hpp"
#include "shared/wire.hpp"

namespace tacit {

namespace {

constexpr uint8_t kUserBundle = 1, kServerBundle = 2;
constexpr size_t kDerMax = 4096;
constexpr std::string_view kServerKeyMagic = "tacit-server-key-v1\n";
constexpr std::string_view kServerPubPrefix = "tacit-server-v2 ";
// A server.pub or known_servers line written before protocol v2: the
// bundle's bytes did not change, so the same key reads as pinned.
constexpr std::string_view kServerPubPrefixV1 = "tacit-server-v1 ";
constexpr size_t kIv = 12, kTag = 16;
constexpr size_t kKeyFileMax = 64 * 1024;

// Shared shape of both bundles: u8 kind | blob der | box_pub[32].
std::optional<std::pair<Bytes, Array<32>>> decode_bundle(ByteView b, uint8_t kind) {
    try {
        Reader r(b);
        if (r.u8() != kind) return std::nullopt;
        Bytes der = r.blob(kDerMax);
        Array<32> box = r.fixed<32>();
        r.finish();
        if (!crypto::x25519_pub_valid(box)) return std::nullopt;
        return std::make_pair(std::move(der), box);
    } catch (const WireError&) {
        return std::nullopt;
    }
}

// The identity file (keys.hpp). Files written under protocol v1's labels
// carry magic v1 or v2; their file key derives from labels this version no
// longer uses, so they are recognised only to be refused by name.
constexpr std::string_view kKeyfileMagic = "tacit-user-key-v3\n";
constexpr std::string_view kV1KeyfileMagics[] = {"tacit-user-key-v1\n", "tacit-user-key-v2\n"};

struct KeyfileParts {
    ByteView aad;  // magic | salt
    ByteView salt, iv, sealed;
};

// nullopt unless data starts with the magic and holds the header, the IV
// and at least a box key and a tag.
std::optional<KeyfileParts> split_keyfile(ByteView data) {
    const size_t head = kKeyfileMagic.size() + PasswordSalt::kSize;
    if (data.size() > kKeyFileMax || data.size() < head + kIv + 32 + kTag ||
        as_chars(data.first(kKeyfileMagic.size())) != kKeyfileMagic)
        return std::nullopt;
    return KeyfileParts{data.first(head), data.subspan(kKeyfileMagic.size(), PasswordSalt::kSize),
                        data.subspan(head, kIv), data.subspan(head + kIv)};
}

Bytes encode_bundle(uint8_t kind, const Bytes& der, const Array<32>& box) {
    Writer w;
    w.u8(kind).blob(der).raw(box);
    return w.take();
}

std::string errno_msg(const std::string& what, const std::string& path) {
    return what + " '" + path + "': " + std::strerror(errno);
}

void write_all(int fd, ByteView b, const std::string& path) {
    while (!b.empty()) {
        ssize_t n = ::write(fd, b.data(), b.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(errno_msg("cannot write", path));
        }
        b = b.subspan(size_t(n));
    }
    if (::fsync(fd) != 0) throw std::runtime_error(errno_msg("cannot sync", path));
}

UniqueFd create_exclusive(const std::string& path, mode_t mode) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) {
        if (errno == EEXIST)
            throw std::runtime_error("'" + path + "' already exists; refusing to overwrite it");
        throw std::runtime_error(errno_msg("cannot create", path));
    }
    return fd;
}

}  // namespace

Bytes UserBundle::encode() const { return encode_bundle(kUserBundle, rsa_der, box_pub); }

std::optional<UserBundle> UserBundle::decode(ByteView b) {
    auto parts = decode_bundle(b, kUserBundle);
    if (!parts) return std::nullopt;
    // parse_public_der accepts RSA only at 3072 bits with e = 65537.
    auto key = crypto::PkKey::parse_public_der(parts->first);
    if (!key || key->type() != crypto::PkKey::Type::Rsa || key->bits() != 3072) return std::nullopt;
    return UserBundle{std::move(parts->first), parts->second};
}

Bytes ServerBundle::encode() const { return encode_bundle(kServerBundle, p256_der, box_pub); }

std::optional<ServerBundle> ServerBundle::decode(ByteView b) {
    auto parts = decode_bundle(b, kServerBundle);
    if (!parts) return std::nullopt;
    // parse_public_der accepts only P-256 among EC curves.
    auto key = crypto::PkKey::parse_public_der(parts->first);
    if (!key || key->type() != crypto::PkKey::Type::Ecdsa) return std::nullopt;
    return ServerBundle{std::move(parts->first), parts->second};
}

std::string fingerprint(ByteView bundle) {
    return "SHA256:" + base64(crypto::sha256(bundle), false);
}

ServerBundle ServerIdentity::bundle() const { return {sign.public_der(), box.pub}; }

ServerIdentity ServerIdentity::generate() {
    return {crypto::PkKey::generate_p256(), crypto::X25519Key::generate()};
}

void write_server_keys(const std::string& dir, const ServerIdentity& id) {
    std::string key_path = dir + "/server.key", pub_path = dir + "/server.pub";
    Secret der = id.sign.private_der();
    Secret body(kServerKeyMagic.size() + 4 + der.size() + 32);
    {
        Writer w;
        w.raw(as_bytes(kServerKeyMagic)).blob(der).raw(id.box.priv);
        Bytes b = w.take();
        std::copy(b.begin(), b.end(), body.data());
        wipe(b.data(), b.size());
    }
    std::string pub = format_server_pub(id.bundle());

    // Both files are created exclusively, so an existing identity is never
    // replaced; a half-made pair is removed again.
    UniqueFd kfd = create_exclusive(key_path, 0600);
    try {
        UniqueFd pfd = create_exclusive(pub_path, 0644);
        try {
            // umask cannot widen 0600, but a strange one could have narrowed
            // it to something that the owner cannot read back.
            if (::fchmod(kfd.get(), 0600) != 0)
                throw std::runtime_error(errno_msg("cannot chmod", key_path));
            write_all(kfd.get(), body, key_path);
            write_all(pfd.get(), as_bytes(pub), pub_path);
        } catch (...) {
            ::unlink(pub_path.c_str());
            throw;
        }
    } catch (...) {
        ::unlink(key_path.c_str());
        throw;
    }
}

ServerIdentity load_server_key(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) throw std::runtime_error(errno_msg("cannot open server key", path));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw std::runtime_error(errno_msg("cannot stat", path));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error("'" + path + "' is not a regular file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        throw std::runtime_error(std::string("Permissions ") + mode + " for '" + path +
                                 "' are too open. It is required that your private key files "
                                 "are NOT accessible by others.");
    }
    if (st.st_size <= 0 || size_t(st.st_size) > kKeyFileMax)
        throw std::runtime_error("'" + path + "' has an implausible size for a server key");
    Secret data(size_t(st.st_size));
    size_t got = 0;
    while (got < data.size()) {
        ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(errno_msg("cannot read", path));
        if (n == 0) break;
        got += size_t(n);
    }
    const std::string bad = "'" + path + "' is not a tacit server key (tacit-server-key-v1)";
    if (got != data.size()) throw std::runtime_error(bad);
    try {
        Reader r(data);
        if (as_chars(r.raw_view(kServerKeyMagic.size())) != kServerKeyMagic)
            throw std::runtime_error(bad);
        ByteView der = r.blob_view(kDerMax);
        ByteView box = r.raw_view(32);
        r.finish();
        auto sign = crypto::PkKey::parse_private_der(der);
        if (!sign || sign->type() != crypto::PkKey::Type::Ecdsa) throw std::runtime_error(bad);
        return {std::move(*sign), crypto::X25519Key::from_private(box)};
    } catch (const WireError&) {
        throw std::runtime_error(bad);
    }
}

std::optional<ServerBundle> parse_server_pub(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.starts_with(kServerPubPrefix))
        text.remove_prefix(kServerPubPrefix.size());
    else if (text.starts_with(kServerPubPrefixV1))
        text.remove_prefix(kServerPubPrefixV1.size());
    else
        return std::nullopt;
    if (text.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
    auto b = unbase64(text);
    if (!b) return std::nullopt;
    return ServerBundle::decode(*b);
}

std::string format_server_pub(const ServerBundle& b) {
    return std::string(kServerPubPrefix) + base64(b.encode()) + "\n";
}

UserBundle UserIdentity::bundle() const { return {sign.public_der(), box.pub}; }

UserIdentity UserIdentity::generate() {
    return {crypto::PkKey::generate_rsa3072(), crypto::X25519Key::generate()};
}

PasswordSalt PasswordSalt::fresh() { return random(crypto::random_array<kSize>()); }

PasswordSalt PasswordSalt::random(const Array<kSize>& salt) { return PasswordSalt(salt); }

Bytes seal_user_keyfile(const UserIdentity& id, ByteView file_key, const PasswordSalt& salt) {
    Secret der = id.sign.private_der();
    Secret plain(der.size() + 32);
    std::copy(der.view().begin(), der.view().end(), plain.data());
    std::copy(id.box.priv.a.begin(), id.box.priv.a.end(), plain.data() + der.size());
    const Bytes aad = concat({as_bytes(kKeyfileMagic), salt.bytes()});
    Array<kIv> iv = crypto::random_array<kIv>();
    Bytes out = concat({aad, iv});
    Bytes ct = crypto::gcm_seal(file_key, iv, aad, plain);
    out.insert(out.end(), ct.begin(), ct.end());
    return out;
}

KeyfileKind user_keyfile_kind(ByteView data) {
    if (split_keyfile(data)) return KeyfileKind::Current;
    for (std::string_view m : kV1KeyfileMagics)
        if (data.size() >= m.size() && as_chars(data.first(m.size())) == m) return KeyfileKind::ProtocolV1;
    return KeyfileKind::Unknown;
}

std::optional<PasswordSalt> user_keyfile_salt(ByteView data) {
    auto parts = split_keyfile(data);
    if (!parts) return std::nullopt;
    Array<PasswordSalt::kSize> salt;
    std::copy(parts->salt.begin(), parts->salt.end(), salt.begin());
    return PasswordSalt::random(salt);
}

std::optional<UserIdentity> open_user_keyfile(ByteView data, ByteView file_key) {
    auto parts = split_keyfile(data);
    if (file_key.size() != 32 || !parts) return std::nullopt;
    auto plain = crypto::gcm_open(file_key, parts->iv, parts->aad, parts->sealed);
    if (!plain || plain->size() < 32) return std::nullopt;
    ByteView p = *plain;
    auto sign = crypto::PkKey::parse_private_der(p.first(p.size() - 32));
    if (!sign || sign->type() != crypto::PkKey::Type::Rsa || sign->bits() != 3072)
        return std::nullopt;
    return UserIdentity{std::move(*sign), crypto::X25519Key::from_private(p.last(32))};
}

unsigned kdf_iterations() {
    constexpr unsigned kDefault = 600000;
    const char* env = std::getenv("TACIT_KDF_ITERATIONS");
    if (!env || !*env) return kDefault;
    unsigned v = 0;
    const char* end = env + std::strlen(env);
    auto [p, ec] = std::from_chars(env, end, v);
    if (ec != std::errc() || p != end || v < 1) return kDefault;
    return v;
}

PasswordKeys derive_password(std::string_view password, const PasswordSalt& salt) {
    Secret master = crypto::pbkdf2_sha256(as_bytes(password), salt.bytes(), kdf_iterations(), 32);
    return {crypto::hkdf_sha256(master, {}, as_bytes("tacit v2 auth")),
            crypto::hkdf_sha256(master, {}, as_bytes("tacit v2 keyfile")), salt};
}

}  // namespace tacit
