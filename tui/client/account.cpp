#include "tui/client/account.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/paths.hpp"
#include "tui/client/replace_file.hpp"

namespace tacit::client {

namespace {

constexpr const char* kServersDir = "servers";
constexpr const char* kStoreKeyLabel = "tacit store key";
constexpr size_t kStoreKeyFileSize = 12 + 32 + 16;  // iv | key | tag

std::optional<Bytes> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    Bytes b(s.begin(), s.end());
    wipe(s.data(), s.size());
    return b;
}

bool is_real_dir(const std::string& path) {
    struct stat st{};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The fingerprint as a file name: "SHA256:ab+/" -> "SHA256-ab-_" (base64url).
std::string fingerprint_dirname(const ServerBundle& server) {
    std::string s = fingerprint(server.encode());
    for (char& c : s) {
        if (c == ':' || c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return s;
}

}  // namespace

std::string old_server_dirname(const std::string& address) {
    std::string s;
    for (char c : address) s.push_back((isalnum((unsigned char)c) || c == '.' || c == '-') ? c : '_');
    return s;
}

// ------------------------------------------------------------------ Account

bool Account::has_identity() const {
    struct stat st{};
    return ::stat((dir_ + "/identity.key").c_str(), &st) == 0;
}

// identity.key as it is on disk, if it is there and private.
std::optional<Secret> Account::read_identity(Result* err) const {
    auto path = dir_ + "/identity.key";
    auto keyfile = read_file(path);
    if (!keyfile) {
        *err = Result::fail(proto::AUTH_FAILED,
                            "no key for " + user_ + " on this machine (" + path + "); register first");
        return std::nullopt;
    }
    Secret data{ByteView(*keyfile)};
    wipe(keyfile->data(), keyfile->size());
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077)) {
        *err = Result::fail(proto::AUTH_FAILED, path + " is readable by others; chmod 600 it");
        return std::nullopt;
    }
    return data;
}

std::optional<PasswordSalt> Account::identity_salt(Result* err) const {
    auto data = read_identity(err);
    if (!data) return std::nullopt;
    switch (user_keyfile_kind(*data)) {
    case KeyfileKind::Current: return user_keyfile_salt(*data);
    case KeyfileKind::ProtocolV1:
        *err = Result::fail(proto::AUTH_FAILED, dir_ + "/identity.key is from tacit protocol v1, which this "
                                                   "version cannot open; register a new account");
        return std::nullopt;
    case KeyfileKind::Unknown: break;
    }
    *err = Result::fail(proto::AUTH_FAILED, dir_ + "/identity.key is not a tacit identity file "
                                               "(damaged, or written by a newer tacit)");
    return std::nullopt;
}

std::optional<UserIdentity> Account::open_identity(ByteView file_key, Result* err) const {
    auto data = read_identity(err);
    if (!data) return std::nullopt;
    auto ident = open_user_keyfile(*data, file_key);
    if (!ident) *err = Result::fail(proto::AUTH_FAILED, "wrong password: cannot open your key file");
    return ident;
}

void Account::save_identity(const UserIdentity& id, const PasswordKeys& keys) const {
    make_dirs(dir_);
    replace_file(dir_ + "/identity.key", seal_user_keyfile(id, keys.file_key, keys.salt), 0600);
    replace_file(dir_ + "/identity.pub", as_bytes("tacit-user-v2 " + base64(id.bundle().encode()) + "\n"), 0644);
}

Secret Account::store_key(ByteView file_key, bool create) const {
    // The history is encrypted under a random store key wrapped by the
    // password's file key, so a password change rewraps 32 bytes.
    if (auto data = read_file(dir_ + "/store.key"); data && data->size() == kStoreKeyFileSize) {
        ByteView v(*data);
        auto k = crypto::gcm_open(file_key, v.first(12), as_bytes(kStoreKeyLabel), v.subspan(12));
        if (!k) throw std::runtime_error("cannot open the local store key (wrong password?)");
        return std::move(*k);
    }
    if (!create) throw std::runtime_error("no local store key in " + dir_);
    Secret k(32);
    crypto::random_bytes(k.data(), 32);
    wrap_store_key(file_key, k);
    return k;
}

void Account::wrap_store_key(ByteView file_key, const Secret& k) const {
    make_dirs(dir_);
    auto iv = crypto::random_array<12>();
    auto ct = crypto::gcm_seal(file_key, iv, as_bytes(kStoreKeyLabel), k);
    replace_file(dir_ + "/store.key", concat({iv, ct}), 0600);
}

// ------------------------------------------------------------------ DataDir

DataDir::DataDir(const std::string& dir) : dir_(private_data_dir(dir.empty() ? data_home() : dir)) {}

std::optional<ServerBundle> DataDir::pinned_server(const std::string& address) const {
    return known_server(known_servers_file(), address);
}

void DataDir::pin_server(const std::string& address, const ServerBundle& b) const {
    remember_server(known_servers_file(), address, b);
}

std::string DataDir::server_dir(const ServerBundle& server) const {
    return dir_ + "/" + kServersDir + "/" + fingerprint_dirname(server);
}

Account DataDir::account(const ServerBundle& server, const std::string& user) const {
    auto dir = server_dir(server) + "/" + user;
    if (!is_real_dir(dir)) adopt_old_account(server, user, dir);
    return Account(dir, user);
}

// known_servers pins each address to one key, so DATA/ADDRESS/USER under an
// address pinned to this server's key is this server's account.
void DataDir::adopt_old_account(const ServerBundle& server, const std::string& user, const std::string& to) const {
    for (auto& address : addresses_pinned_to(known_servers_file(), server)) {
        auto from = dir_ + "/" + old_server_dirname(address) + "/" + user;
        if (!is_real_dir(from)) continue;
        make_dirs(server_dir(server));
        if (::rename(from.c_str(), to.c_str()) != 0)
            throw std::runtime_error("cannot move " + from + " to " + to + ": " + std::strerror(errno));
        // Relative, so the data directory can still be copied as a whole.
        // Only older clients need the link: failing to make it fails nothing.
        const auto back = std::string("../") + kServersDir + "/" + fingerprint_dirname(server) + "/" + user;
        [[maybe_unused]] const int linked = ::symlink(back.c_str(), from.c_str());
        return;
    }
}

}  // namespace tacit::client
