// The account module: the one place that knows where the client keeps its
// files (tacit(1) FILES). Nothing else opens them: the client core asks
// here for the pinned server key, the user's identity, the store key and
// the store's directory; the front ends ask the client core.
//
//   DATA/known_servers                    pinned server keys, by address
//   DATA/servers/FP/USER/identity.key     private keys, sealed under the file key
//   DATA/servers/FP/USER/identity.pub     the public bundle, one line
//   DATA/servers/FP/USER/store.key        the local store's key, sealed likewise
//   DATA/servers/FP/USER/store/           the local store (LMDB)
//
// FP is the server key's fingerprint, not its address, so one server
// reached over TCP, its Unix socket or another node of its cluster is one
// account. Clients before this layout kept DATA/ADDRESS/USER; such a
// directory, under any address known_servers pins to the same key, is moved
// into place the first time the account is used, and a symbolic link is left
// where it was, so an older client still finds it.
#pragma once
#include <optional>
#include <string>

#include "shared/bytes.hpp"
#include "shared/keys.hpp"
#include "tui/client/events.hpp"

namespace tacit::client {

// One user's files on one server.
class Account {
public:
    Account(std::string dir, std::string user) : dir_(std::move(dir)), user_(std::move(user)) {}
    const std::string& dir() const { return dir_; }
    const std::string& user() const { return user_; }

    // Whether this machine holds the user's key file (log in, not register).
    bool has_identity() const;
    // The PBKDF2 salt in the identity file's header, which login reads
    // before it derives the keys. nullopt and *err when the file is missing,
    // readable by others, or not an identity file.
    std::optional<PasswordSalt> identity_salt(Result* err) const;
    // The identity file opened with file_key: the one check of a password
    // that needs no server. nullopt and *err when it is missing, readable by
    // others, or the key is wrong.
    std::optional<UserIdentity> open_identity(ByteView file_key, Result* err) const;
    // Writes identity.key (sealed under keys.file_key, keys.salt in its
    // header, 0600) and identity.pub (0644), creating the directory.
    void save_identity(const UserIdentity& id, const PasswordKeys& keys) const;

    // The local store's random key, unwrapped with file_key; with create, a
    // new one is made and wrapped when there is none. Throws on a wrong key.
    Secret store_key(ByteView file_key, bool create) const;
    // Wraps k under file_key (a password change rewraps only these bytes).
    void wrap_store_key(ByteView file_key, const Secret& k) const;
    // Where the LocalStore lives.
    std::string store_dir() const { return dir_ + "/store"; }

private:
    std::optional<Secret> read_identity(Result* err) const;
    std::string dir_, user_;
};

// The data directory and the server keys pinned in it.
class DataDir {
public:
    // "" means data_home(). Created mode 0700 if missing; throws with the
    // reason when it is not private (paths.hpp, why_not_private).
    explicit DataDir(const std::string& dir);
    const std::string& path() const { return dir_; }
    std::string known_servers_file() const { return dir_ + "/known_servers"; }

    std::optional<ServerBundle> pinned_server(const std::string& address) const;
    void pin_server(const std::string& address, const ServerBundle& b) const;

    // user's account on the server whose key is server; an account under an
    // old address of that server is moved here first (see above).
    Account account(const ServerBundle& server, const std::string& user) const;
    // DATA/servers/FP: the directory of one server's accounts.
    std::string server_dir(const ServerBundle& server) const;

private:
    void adopt_old_account(const ServerBundle& server, const std::string& user, const std::string& to) const;
    std::string dir_;
};

// The directory name of an address in the old layout: "127.0.0.1:7700" ->
// "127.0.0.1_7700" (every character but letters, digits, '.' and '-' made '_').
std::string old_server_dirname(const std::string& address);

}  // namespace tacit::client
