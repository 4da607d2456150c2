// Contacts: a user's current key from the server (MSG1), pinned on first
// use; a change is reported and blocks sending until accept-key.
#include "tui/client/client_impl.hpp"

#include <fmt/core.h>

#include "shared/names.hpp"

namespace tacit::client {

// Looks up a user's current key on the server (MSG1).
Task<std::optional<Bytes>> Client::Impl::fetch_key(std::string user, Result* err) {
    msg::Msg1 m;
    m.token = *self.token_;
    m.target = user;
    m.nonce1 = fresh_nonce();
    auto r = co_await ask<msg::Msg1R>(m, signed_by_me(), &msg::Msg1R::nonce1);
    if (!r.ok()) {
        *err = r.res;
        co_return std::nullopt;
    }
    co_return r.m->target_public_key;
}

// Pins on first use; flags a change. Returns the bundle to use, or a
// KEY_CHANGED failure.
std::optional<UserBundle> Client::Impl::checked_key(const std::string& user, const Bytes& current, Result* err) {
    auto pinned = store->pinned(user);
    if (!pinned) {
        auto b = UserBundle::decode(current);
        if (!b) {
            *err = Result::fail(proto::BAD_REQUEST, "server sent an invalid key for " + user);
            return std::nullopt;
        }
        store->pin(user, current);
        info("pinned key of " + user + ": " + fingerprint(current));
        return b;
    }
    if (*pinned != current) {
        key_changes[user] = current;
        Event e = ev::KeyChanged{user, fingerprint(current), fingerprint(*pinned)};
        event(std::move(e));
        *err = Result::fail(proto::KEY_CHANGED,
                            fmt::format("the key of {} changed from {} to {}; verify it, then accept-key {}",
                                        user, fingerprint(*pinned), fingerprint(current), user));
        return std::nullopt;
    }
    return UserBundle::decode(*pinned);
}

Task<Result> Client::Impl::accept_key(std::string user) {
    auto it = key_changes.find(user);
    Bytes b;
    if (it != key_changes.end()) {
        b = it->second;
        key_changes.erase(it);
    } else {
        Result err;
        auto k = co_await fetch_key(user, &err);
        if (!k) co_return err;
        b = *k;
    }
    store->pin(user, b);
    co_return Result::good("accepted key of " + user + ": " + fingerprint(b));
}

}  // namespace tacit::client
