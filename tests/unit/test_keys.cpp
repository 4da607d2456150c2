// Bundles, fingerprints, server key files, user key files, password keys.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shared/keys.hpp"
#include "tests/unit/odd_rsa.hpp"

using namespace tacit;
namespace fs = std::filesystem;

namespace {

Bytes copy(ByteView v) { return Bytes(v.begin(), v.end()); }

const UserIdentity& user_id() {
    static UserIdentity id = UserIdentity::generate();  // RSA keygen is slow: once
    return id;
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "tacit-keys-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("user bundle round trip and rejections", "[keys]") {
    UserBundle b = user_id().bundle();
    Bytes enc = b.encode();
    REQUIRE(enc.size() == 1 + 4 + b.rsa_der.size() + 32);
    CHECK(enc[0] == 1);
    auto d = UserBundle::decode(enc);
    REQUIRE(d);
    CHECK(d->rsa_der == b.rsa_der);
    CHECK(d->box_pub == b.box_pub);
    CHECK(d->encode() == enc);

    Bytes trailing = enc;
    trailing.push_back(0);
    CHECK_FALSE(UserBundle::decode(trailing));
    CHECK_FALSE(UserBundle::decode(Bytes(enc.begin(), enc.end() - 1)));
    CHECK_FALSE(UserBundle::decode({}));
    CHECK_FALSE(UserBundle::decode(Bytes(500, 0xff)));
    Bytes kind = enc;
    kind[0] = 2;
    CHECK_FALSE(UserBundle::decode(kind));
    CHECK_FALSE(ServerBundle::decode(enc));
    // A corrupted DER inside, and a small-order box key.
    Bytes der_bad = enc;
    der_bad[5 + 10] ^= 0xff;
    CHECK_FALSE(UserBundle::decode(der_bad));
    UserBundle zero_box = b;
    zero_box.box_pub = {};
    CHECK_FALSE(UserBundle::decode(zero_box.encode()));
    // A P-256 key in a user bundle is refused: only RSA-3072 is a user key.
    UserBundle ec = b;
    ec.rsa_der = crypto::PkKey::generate_p256().public_der();
    CHECK_FALSE(UserBundle::decode(ec.encode()));
    // A garbage length prefix cannot make decode allocate or read past the end.
    Bytes huge = {1, 0xff, 0xff, 0xff, 0xff, 0, 0};
    CHECK_FALSE(UserBundle::decode(huge));
}

TEST_CASE("only e = 65537 is an RSA key, in a bundle and on its own", "[keys][crypto]") {
    // Same modulus, other exponents: a huge e would make each verify a full
    // 3072-bit exponentiation (~31 ms), e = 3 is the classic weak choice.
    const auto& k = user_id().sign;
    for (auto which : {test::OddExponent::Three, test::OddExponent::Huge}) {
        Bytes der = test::rsa_der_with_exponent(k, which);
        INFO((which == test::OddExponent::Huge ? "e = N - 2" : "e = 3"));
        CHECK(der != k.public_der());
        CHECK_FALSE(crypto::PkKey::parse_public_der(der));
        UserBundle odd = user_id().bundle();
        odd.rsa_der = der;
        CHECK_FALSE(UserBundle::decode(odd.encode()));
    }
    // The real key (e = 65537) still parses, alone and in its bundle.
    CHECK(crypto::PkKey::parse_public_der(k.public_der()));
    CHECK(UserBundle::decode(user_id().bundle().encode()));
}

TEST_CASE("server bundle round trip and fingerprint", "[keys]") {
    ServerIdentity id = ServerIdentity::generate();
    ServerBundle b = id.bundle();
    Bytes enc = b.encode();
    CHECK(enc[0] == 2);
    auto d = ServerBundle::decode(enc);
    REQUIRE(d);
    CHECK(d->p256_der == b.p256_der);
    CHECK(d->box_pub == id.box.pub);
    CHECK_FALSE(UserBundle::decode(enc));
    ServerBundle rsa = b;
    rsa.p256_der = user_id().sign.public_der();
    CHECK_FALSE(ServerBundle::decode(rsa.encode()));

    std::string fp = fingerprint(enc);
    CHECK(fp.rfind("SHA256:", 0) == 0);
    CHECK(fp.size() == 7 + 43);  // 32 bytes in unpadded base64
    CHECK(fp.find('=') == std::string::npos);
    CHECK(fp == "SHA256:" + base64(crypto::sha256(enc), false));
    CHECK(fingerprint(Bytes{}) == "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    CHECK(fingerprint(user_id().bundle().encode()) != fp);

    std::string line = format_server_pub(b);
    CHECK(line.rfind("tacit-server-v2 ", 0) == 0);
    CHECK(line.back() == '\n');
    auto p = parse_server_pub(line);
    REQUIRE(p);
    CHECK(p->encode() == enc);
    CHECK(parse_server_pub(line.substr(0, line.size() - 1)));
    CHECK_FALSE(parse_server_pub(line.substr(0, 40)));
    CHECK_FALSE(parse_server_pub(""));
    CHECK_FALSE(parse_server_pub("tacit-server-v2 !!!!"));
    // A line written before protocol v2 holds the same bundle bytes.
    auto v1 = parse_server_pub("tacit-server-v1 " + line.substr(16));
    REQUIRE(v1);
    CHECK(v1->encode() == enc);
    CHECK_FALSE(parse_server_pub("tacit-server-v3 " + line.substr(16)));
}

TEST_CASE("server keys are written, loaded and protected", "[keys]") {
    TempDir dir;
    ServerIdentity id = ServerIdentity::generate();
    write_server_keys(dir.path.string(), id);
    fs::path key = dir.path / "server.key", pub = dir.path / "server.pub";
    struct stat st;
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(slurp(key).rfind("tacit-server-key-v1\n", 0) == 0);
    CHECK(slurp(pub) == format_server_pub(id.bundle()));

    ServerIdentity loaded = load_server_key(key.string());
    CHECK(loaded.bundle().encode() == id.bundle().encode());
    CHECK(loaded.box.priv.a == id.box.priv.a);
    Bytes msg = {1, 2, 3};
    CHECK(id.sign.verify(msg, loaded.sign.sign(msg)));
    CHECK(loaded.sign.sign(msg) == id.sign.sign(msg));  // same deterministic key

    // Never overwrites.
    CHECK_THROWS_WITH(write_server_keys(dir.path.string(), ServerIdentity::generate()),
                      Catch::Contains("already exists"));
    CHECK(load_server_key(key.string()).bundle().encode() == id.bundle().encode());

    for (mode_t m : {0644, 0640, 0604, 0660}) {
        REQUIRE(::chmod(key.c_str(), m) == 0);
        char want[8];
        std::snprintf(want, sizeof want, "%04o", unsigned(m));
        CHECK_THROWS_WITH(load_server_key(key.string()),
                          Catch::Contains(std::string("Permissions ") + want + " for '" +
                                          key.string() + "' are too open") &&
                              Catch::Contains("NOT accessible by others"));
    }
    REQUIRE(::chmod(key.c_str(), 0400) == 0);
    CHECK_NOTHROW(load_server_key(key.string()));

    CHECK_THROWS_AS(load_server_key((dir.path / "missing.key").string()), std::runtime_error);
    {
        fs::path junk = dir.path / "junk.key";
        std::ofstream(junk) << "tacit-server-key-v1\nnot a key";
        REQUIRE(::chmod(junk.c_str(), 0600) == 0);
        CHECK_THROWS_AS(load_server_key(junk.string()), std::runtime_error);
    }
    CHECK_THROWS_AS(write_server_keys((dir.path / "no/such/dir").string(), id),
                    std::runtime_error);
}

TEST_CASE("user key file opens only with the right key", "[keys]") {
    const UserIdentity& id = user_id();
    Secret key(ByteView(crypto::random_array<32>()));
    const auto salt = PasswordSalt::fresh();
    Bytes file = seal_user_keyfile(id, key, salt);
    // tacit-protocol(7), STORAGE: magic | salt[16] | iv[12] | ciphertext | tag.
    CHECK(std::string(file.begin(), file.begin() + 18) == "tacit-user-key-v3\n");
    CHECK(Bytes(file.begin() + 18, file.begin() + 34) == copy(salt.bytes()));
    CHECK(seal_user_keyfile(id, key, salt) != file);  // fresh IV

    auto opened = open_user_keyfile(file, key);
    REQUIRE(opened);
    CHECK(opened->bundle().encode() == id.bundle().encode());
    CHECK(opened->box.priv.a == id.box.priv.a);
    Bytes msg = {'m'};
    CHECK(id.sign.verify(msg, opened->sign.sign(msg)));

    Secret wrong = key;
    wrong[0] ^= 1;
    CHECK_FALSE(open_user_keyfile(file, wrong));
    CHECK_FALSE(open_user_keyfile(file, Bytes(16, 0)));
    // Every part is covered: the magic, the salt (AAD), the IV, the body, the tag.
    for (size_t i : {size_t(0), size_t(18), size_t(33), size_t(40), file.size() / 2, file.size() - 1}) {
        Bytes bad = file;
        bad[i] ^= 0x40;
        CHECK_FALSE(open_user_keyfile(bad, key));
    }
    CHECK_FALSE(open_user_keyfile(Bytes(file.begin(), file.end() - 1), key));
    CHECK_FALSE(open_user_keyfile({}, key));
}

TEST_CASE("user key file of protocol v1: recognised, never opened", "[keys]") {
    const UserIdentity& id = user_id();
    Secret key(ByteView(crypto::random_array<32>()));
    const Bytes file = seal_user_keyfile(id, key, PasswordSalt::fresh());
    CHECK(user_keyfile_kind(file) == KeyfileKind::Current);
    for (const char* magic : {"tacit-user-key-v1\n", "tacit-user-key-v2\n"}) {
        Bytes old = file;
        std::copy(magic, magic + 18, old.begin());
        CHECK(user_keyfile_kind(old) == KeyfileKind::ProtocolV1);
        CHECK_FALSE(user_keyfile_salt(old));
        CHECK_FALSE(open_user_keyfile(old, key));
        CHECK(user_keyfile_kind(Bytes(old.begin(), old.begin() + 18)) == KeyfileKind::ProtocolV1);
    }
    CHECK(user_keyfile_kind({}) == KeyfileKind::Unknown);
    CHECK(user_keyfile_kind(Bytes(file.begin(), file.begin() + 40)) == KeyfileKind::Unknown);
}

TEST_CASE("identity file header: the salt round-trips, a short or strange one is refused", "[keys]") {
    const UserIdentity& id = user_id();
    Secret key(ByteView(crypto::random_array<32>()));
    const auto salt = PasswordSalt::fresh();
    const Bytes file = seal_user_keyfile(id, key, salt);
    auto read = user_keyfile_salt(file);
    REQUIRE(read);
    CHECK(copy(read->bytes()) == copy(salt.bytes()));

    // Too short to hold header, IV, a box key and a tag: no salt, no identity.
    for (size_t n : {size_t(0), size_t(17), size_t(18), size_t(33), size_t(34), size_t(34 + 12 + 47)}) {
        const Bytes cut(file.begin(), file.begin() + long(n));
        CHECK_FALSE(user_keyfile_salt(cut));
        CHECK_FALSE(open_user_keyfile(cut, key));
    }
    for (const char* magic : {"tacit-user-key-v4\n", "tacit-user-key-v3 ", "TACIT-USER-KEY-V3\n"}) {
        Bytes odd = file;
        std::copy(magic, magic + 18, odd.begin());
        CHECK_FALSE(user_keyfile_salt(odd));
        CHECK_FALSE(open_user_keyfile(odd, key));
    }
    // A tampered salt is still a header, but the file no longer opens: with
    // the key derived from it (another key) nor with the right key (AAD).
    Bytes tampered = file;
    tampered[20] ^= 1;
    auto other = user_keyfile_salt(tampered);
    REQUIRE(other);
    CHECK(copy(other->bytes()) != copy(salt.bytes()));
    CHECK_FALSE(open_user_keyfile(tampered, key));
    CHECK(user_keyfile_salt(Bytes(64 * 1024 + 1, 't')) == std::nullopt);
}

TEST_CASE("password keys", "[keys]") {
    ::setenv("TACIT_KDF_ITERATIONS", "2", 1);
    REQUIRE(kdf_iterations() == 2);
    const auto salt = PasswordSalt::fresh();
    REQUIRE(salt.bytes().size() == 16);
    PasswordKeys k = derive_password("correct horse", salt);
    CHECK(k.auth.size() == 32);
    CHECK(k.file_key.size() == 32);
    CHECK_FALSE(ct_equal(k.auth, k.file_key));
    // Exactly tacit-protocol(7), PASSWORDS: PBKDF2 over the salt, then two HKDF labels.
    Secret master = crypto::pbkdf2_sha256(as_bytes("correct horse"), salt.bytes(), 2);
    CHECK(ct_equal(k.auth, crypto::hkdf_sha256(master, {}, as_bytes("tacit v2 auth"))));
    CHECK(ct_equal(k.file_key, crypto::hkdf_sha256(master, {}, as_bytes("tacit v2 keyfile"))));
    CHECK(ct_equal(derive_password("correct horse", salt).auth, k.auth));
    CHECK_FALSE(ct_equal(derive_password("correct horsf", salt).auth, k.auth));
    ::setenv("TACIT_KDF_ITERATIONS", "3", 1);
    CHECK_FALSE(ct_equal(derive_password("correct horse", salt).auth, k.auth));

    for (const char* bad : {"0", "-5", "abc", "12x", ""}) {
        ::setenv("TACIT_KDF_ITERATIONS", bad, 1);
        CHECK(kdf_iterations() == 600000);
    }
    ::unsetenv("TACIT_KDF_ITERATIONS");
    CHECK(kdf_iterations() == 600000);
}

TEST_CASE("two registrations of one user and password get different keys", "[keys]") {
    ::setenv("TACIT_KDF_ITERATIONS", "2", 1);
    // What register_user does each time: a fresh salt, then PBKDF2.
    auto a = derive_password("correct horse", PasswordSalt::fresh());
    auto b = derive_password("correct horse", PasswordSalt::fresh());
    ::unsetenv("TACIT_KDF_ITERATIONS");
    CHECK_FALSE(ct_equal(a.auth, b.auth));
    CHECK_FALSE(ct_equal(a.file_key, b.file_key));
    CHECK(copy(a.salt.bytes()) != copy(b.salt.bytes()));
}
