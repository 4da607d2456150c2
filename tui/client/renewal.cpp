// Key renewal on the live connection (tacit-protocol(7), KEY RENEWAL AND
// RESUME): /rekey and /passwd, then logging in again.
#include "tui/client/client_impl.hpp"
#include "tui/client/retired_identity.hpp"

namespace tacit::client {

Task<Result> Client::Impl::rekey() {
    if (!pw) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
    // The old key signs each group's rekeyed record once the new one is
    // published; the identity file still holds it until RENEW3 commits.
    Result err;
    auto old = account(self.user_).open_identity(pw->file_key, &err);
    if (!old) co_return err;
    const auto groups = store->groups();
    // Kept before RENEW3 can commit: mail on its way under the old key
    // still opens afterwards (retired_identity.hpp).
    retire_identity(*store, *old, wall_s());
    auto next = co_await generate_identity();
    PasswordKeys same{Secret(pw->auth.view()), Secret(pw->file_key.view()), pw->salt};
    auto renewing = renew(std::move(next), std::move(same), SpkRenewal::Now);
    auto r = co_await renewing;
    if (!r.ok) co_return r;
    if (!r.msg.empty())  // not logged in again: nothing can be sent now
        co_return Result::good("new key published, fingerprint " + fingerprint(id->bundle().encode()) + r.msg +
                               "; your groups' records do not name it yet");
    std::string unrecorded;
    for (const auto& g : groups) {
        auto recording = rekey_group(g, *old);
        auto rr = co_await recording;
        if (!rr.ok) unrecorded += "; not recorded in " + g + ": " + rr.msg;
    }
    co_return Result::good("new key published, fingerprint " + fingerprint(id->bundle().encode()) +
                           "; contacts see a key change until they accept it, members of your groups see it in "
                           "their signed records" + r.msg + unrecorded);
}

// Only the password changes: RENEW3 carries the registered bundle again
// (tacit-protocol(7): public_key may be unchanged), so contacts see no
// key change. The current password must open the identity file first.
Task<Result> Client::Impl::passwd(Password old_password, Password new_password) {
    if (!self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
    Result err;
    const auto acct = account(self.user_);
    auto old_salt = acct.identity_salt(&err);
    if (!old_salt) co_return err;
    auto deriving_old = derive(std::move(old_password), std::move(*old_salt));
    auto old_keys = co_await deriving_old;
    auto same = acct.open_identity(old_keys.file_key, &err);
    if (!same) co_return err;
    // A new password gets a new salt; this also moves an identity file from
    // before the random salt onto one (tacit-protocol(7), DIFFERENCES).
    auto deriving_new = derive(std::move(new_password), PasswordSalt::fresh());
    auto new_keys = co_await deriving_new;
    auto renewing = renew(std::move(*same), std::move(new_keys), SpkRenewal::AsDue);
    auto r = co_await renewing;
    if (!r.ok) co_return r;
    co_return Result::good("password changed; your key is unchanged" + r.msg);
}

// RENEW1..3 with next as the key (the current one again for a password
// change) and keys for the password; then logs in again. On success msg
// is "", or why that login failed.
Task<Result> Client::Impl::renew(UserIdentity next, PasswordKeys keys, SpkRenewal spk) {
    if (!conn || !self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
    const std::string user = self.user_;
    // Mail waiting now is for the old key: fetch it first. What lands
    // during the exchange below opens under the retired identity
    // (retired_identity.hpp).
    if (auto f = co_await fetch_all(); !f.ok) co_return f;
    // Step 1 and 2: a fresh session key on the live connection.
    PhaseStep step(*this, Phase::Renew1);
    msg::Renew1 r1;
    r1.token = *self.token_;
    r1.nonce = fresh_nonce();
    auto a1 = co_await ask<msg::Renew1R>(r1, {}, &msg::Renew1R::nonce);
    if (!a1.ok()) co_return a1.res;
    phase_to(Phase::Renew2);
    auto a2 = co_await conn->renew2(*self.token_);
    if (!a2.ok()) co_return a2.res;
    if (!conn || !conn->finish_renew(a2.m->server_random, a2.m->server_eph_pub, a2.m->nonce))
        throw ConnError("key renewal reply does not match");
    // Step 3: the key and password, signed by the old key and the new.
    phase_to(Phase::Renew3);
    msg::Renew3 r3;
    r3.token = *self.token_;
    r3.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    r3.public_key = next.bundle().encode();
    r3.nonce = fresh_nonce();
    auto awaiting = ask<msg::Renew3R>(r3, Signers{&id->sign, &next.sign}, &msg::Renew3R::nonce);
    wipe(r3.pass.data(), r3.pass.size());
    auto a3 = co_await std::move(awaiting);
    if (!a3.ok()) co_return a3.res;
    // Committed on the server: store the key file, rewrap the store key.
    const auto acct = account(user);
    auto sk = acct.store_key(pw->file_key, false);
    acct.save_identity(next, keys);
    acct.wrap_store_key(keys.file_key, sk);
    id = std::move(next);
    pw = std::move(keys);
    // RENEW3 ended every session; log in again here, so the user need not.
    phase_to(Phase::Idle);  // connect and do_login name their own steps
    quiet_drop();
    forget_token();
    auto c = co_await connect();
    // Committed all the same, so not a failure; the TUI reconnects by itself.
    if (!c.ok) co_return Result::good("; logging in again failed: " + c.msg);
    auto l = co_await do_login(user, *id, *pw);
    if (!l.ok) co_return Result::good("; logging in again failed: " + l.msg);
    // A new key: a new signed prekey signed by it, and a new one-time pool
    // (RENEW3 dropped the old prekeys on the server); the old private
    // halves stay through the grace period (signed_prekey.hpp).
    auto publishing = publish_prekeys(spk);
    co_await publishing;
    co_return Result::good("");
}

}  // namespace tacit::client
