#include "tui/client/local_store.hpp"

#include <errno.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#include "shared/crypto.hpp"
#include "shared/wire.hpp"
#include "tui/client/local_store_impl.hpp"
#include "tui/client/paths.hpp"

namespace tacit::client {

namespace {

// The store dir is forced to 0700 (parents made 0700 if missing): it
// holds the lock file and the (encrypted) data.
void private_store_dir(const std::string& dir) {
    if (dir.empty()) throw std::runtime_error("local store: empty directory name");
    make_dirs(dir, 0700);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw std::runtime_error("local store: cannot stat " + dir + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error("local store: " + dir + " is not a directory");
    if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
        throw std::runtime_error("local store: cannot chmod 0700 " + dir + ": " + std::strerror(errno));
}

}  // namespace

// Positions follow arrival (a sender's clock can't move its message). Mail
// nearly always arrives last, and is appended; one that arrives before the
// conversation's latest (a delayed drain, another terminal's send) takes
// the next position and the messages that arrived after it are moved
// behind it, in their order, so last() never has to sort.
bool LocalStore::Impl::store_msg(Txn& t, const ChatMessage& m, const std::string& conv, uint64_t& counter) {
    Bytes pt;
    try {
        pt = encode(m);
    } catch (const WireError&) {
        return false;  // a field too long for the record format
    }
    const uint64_t at = arrival(m);
    const Bytes tag = conv_tag(conv);
    const auto act = activity(t, conv);
    std::vector<std::pair<Bytes, ChatMessage>> later;  // newest first
    if (act && act->at > at) walk_back(t, tag, [&](ByteView k, std::optional<ChatMessage> lm) {
        if (!lm || arrival(*lm) <= at) return false;
        later.emplace_back(Bytes(k.begin(), k.end()), std::move(*lm));
        return true;
    });
    for (auto& kv : later) t.del(msgs, kv.first);
    put_msg(t, msg_key(tag, ++counter), pt, m);
    wipe(pt.data(), pt.size());
    for (auto it = later.rbegin(); it != later.rend(); ++it) {
        Bytes lp = encode(it->second);  // it was decoded from a record, so it encodes
        put_msg(t, msg_key(tag, ++counter), lp, it->second);
        wipe(lp.data(), lp.size());
    }
    put_activity(t, {std::max(act ? act->at : 0, at), counter, conv});
    return true;
}

// Re-seals every record of dbi under fresh, keys unchanged. A record that
// no longer authenticates is left as it is (it stays unreadable either way).
void LocalStore::Impl::reseal(Txn& t, const crypto::Gcm& fresh, MDB_dbi dbi, const char* db) {
    std::vector<std::pair<Bytes, Bytes>> redo;
    {
        Cursor c = t.cursor(dbi);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k);
            auto pt = open(db, key, view(v));
            if (pt) redo.emplace_back(Bytes(key.begin(), key.end()), seal(fresh, db, key, pt->view()));
        }
    }
    for (auto& [k, v] : redo) t.put(dbi, k, v);
}

LocalStore::LocalStore(const std::string& dir, ByteView file_key, size_t initial_map)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.dir = dir;
    s.gcm = Impl::derive(file_key);
    private_store_dir(dir);

    MDB_env* e = nullptr;
    check(mdb_env_create(&e), "cannot create environment");
    s.env.reset(e);
    check(mdb_env_set_mapsize(e, initial_map ? initial_map : kDefaultMap), "cannot set map size");
    check(mdb_env_set_maxdbs(e, kMaxDbs), "cannot set max dbs");
    int rc = mdb_env_open(e, dir.c_str(), 0, 0600);
    if (rc != MDB_SUCCESS) fail("cannot open " + dir, rc);

    bool scrub_due = false;
    s.write([&](Txn& t) { scrub_due = s.open_all(t, dir); });
    if (scrub_due) s.scrub();
}

size_t LocalStore::map_size() {
    MDB_envinfo info{};
    check(mdb_env_info(impl_->env.get(), &info), "cannot read the map size");
    return info.me_mapsize;
}

uint32_t LocalStore::schema_version() {
    Txn t = impl_->read();
    return impl_->schema(t);
}

LocalStore::~LocalStore() = default;
LocalStore::LocalStore(LocalStore&&) noexcept = default;
LocalStore& LocalStore::operator=(LocalStore&&) noexcept = default;

std::string LocalStore::conversation_of(const ChatMessage& m, const std::string& me) {
    if (!m.group.empty()) return "#" + m.group;
    return (m.outgoing || m.from == me) ? m.to : m.from;
}

bool LocalStore::seen(const std::string& sender, const std::string& msg_id) {
    if (!key_name_ok(msg_id) || !sender_ok(sender)) return false;
    Txn t = impl_->read();
    return impl_->has_id(t, sender, msg_id);
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me) {
    return add(msgs, me, {});
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                         const SecretChanges& secrets) {
    return add(msgs, me, secrets, {});
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                         const SecretChanges& secrets, const SecretChanges& basis) {
    Impl& s = *impl_;
    std::vector<ChatMessage> fresh;
    for (auto& [name, value] : secrets) name_key(name, "secret name");  // throws before any write
    for (auto& [name, value] : basis) name_key(name, "secret name");
    s.write([&](Txn& t) {
        fresh.clear();  // a retry after MAP_FULL starts over
        for (auto& [name, value] : basis)
            if (!s.secret_is(t, name, value)) throw Conflict("local store: another client changed " + name);
        Impl::SecretsIn in(s, t);
        for (auto& [name, value] : secrets) {
            if (value) in.put(name, *value);
            else in.erase(name);
        }
        auto ckey = as_bytes(kCounterKey);
        uint64_t counter = 0;
        if (auto c = t.get(s.meta, ckey); c && c->size() == 8) counter = get_u64be(c->data());

        for (const auto& m : msgs) {
            std::string conv = conversation_of(m, me);
            if (!key_name_ok(m.id) || !key_name_ok(conv) || !sender_ok(m.from)) continue;
            // The txn sees its own writes, so duplicates within msgs are caught too.
            if (s.has_id(t, m.from, m.id)) continue;
            if (s.store_msg(t, m, conv, counter)) fresh.push_back(m);
        }
        if (fresh.empty() && secrets.empty()) return;  // nothing worth a durable commit

        uint8_t cbuf[8];
        put_u64be(cbuf, counter);
        t.put(s.meta, ckey, ByteView(cbuf, 8));
    });
    return fresh;
}

std::vector<ChatMessage> LocalStore::last(const std::string& conversation, size_t n) {
    std::vector<ChatMessage> out;
    if (n == 0 || !key_name_ok(conversation)) return out;
    Impl& s = *impl_;
    Txn t = s.read();
    s.walk_back(t, s.conv_tag(conversation), [&](ByteView, std::optional<ChatMessage> m) {
        if (m) out.push_back(std::move(*m));
        return out.size() < n;
    });
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<ChatMessage> LocalStore::search(const std::string& text, size_t max) {
    Impl& s = *impl_;
    std::string needle(text);
    for (auto& ch : needle) ch = static_cast<char>(ascii_lower(static_cast<uint8_t>(ch)));

    using Hit = std::tuple<uint64_t, uint64_t, ChatMessage>;
    std::vector<Hit> hits;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.msgs);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k);
            if (key.size() != kMsgKey) continue;
            if (auto m = s.open_msg(key, view(v), needle, true)) {
                const uint64_t at = arrival(*m);
                hits.emplace_back(at, msg_pos(key), std::move(*m));
            }
        }
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    size_t skip = hits.size() > max ? hits.size() - max : 0;
    std::vector<ChatMessage> out;
    out.reserve(hits.size() - skip);
    for (size_t i = skip; i < hits.size(); ++i) out.push_back(std::move(std::get<2>(hits[i])));
    return out;
}

std::vector<std::string> LocalStore::conversations() {
    Impl& s = *impl_;
    std::vector<Activity> all;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.convs);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto pt = s.open(kConvs, view(k), view(v));
            if (auto a = pt ? decode_activity(pt->view()) : std::nullopt) all.push_back(std::move(*a));
        }
    }
    std::sort(all.begin(), all.end(), [](const Activity& a, const Activity& b) {
        return std::tie(a.at, a.pos, a.conv) > std::tie(b.at, b.pos, b.conv);
    });
    std::vector<std::string> out;
    out.reserve(all.size());
    for (auto& a : all) out.push_back(std::move(a.conv));
    return out;
}

std::optional<Bytes> LocalStore::pinned(const std::string& user) {
    Impl& s = *impl_;
    const Bytes key = s.index(kContacts, name_key(user, "user name"));
    std::optional<Bytes> rec;
    {
        Txn t = s.read();
        rec = t.get(s.contacts, key);
    }
    if (!rec) return std::nullopt;
    auto pt = s.open(kContacts, key, *rec);
    if (!pt) throw std::runtime_error("local store: pinned key of " + user + " fails authentication");
    auto b = pt->view();
    return Bytes(b.begin(), b.end());
}

void LocalStore::pin(const std::string& user, ByteView bundle) {
    Impl& s = *impl_;
    const Bytes key = s.index(kContacts, name_key(user, "user name"));
    s.write([&](Txn& t) {
        t.put(s.contacts, key, s.seal(kContacts, key, bundle));
    });
}

void LocalStore::set_group(const std::string& group, bool member) {
    Impl& s = *impl_;
    const Bytes key = s.index(kGroups, name_key(group, "group name"));
    s.write([&](Txn& t) {
        if (member)
            t.put(s.groups, key, s.seal(kGroups, key, as_bytes(group)));
        else
            t.del(s.groups, key);
    });
}

std::vector<std::string> LocalStore::groups() {
    Impl& s = *impl_;
    std::vector<std::string> out;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.groups);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT))
            if (auto pt = s.open(kGroups, view(k), view(v))) out.emplace_back(as_chars(pt->view()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void LocalStore::put_secret(const std::string& name, ByteView value) {
    name_key(name, "secret name");  // throws before any write
    update_secrets([&](SecretTxn& t) { t.put(name, value); });
}

std::optional<Secret> LocalStore::get_secret(const std::string& name) {
    Txn t = impl_->read();
    return impl_->secret_in(t, name);
}

std::optional<Secret> LocalStore::Impl::secret_in(Txn& t, const std::string& name) const {
    const Bytes key = index(kSecrets, name_key(name, "secret name"));
    auto rec = t.get(secrets, key);
    if (!rec) return std::nullopt;
    return open(kSecrets, key, *rec);
}

bool LocalStore::Impl::secret_is(Txn& t, const std::string& name, const std::optional<Secret>& want) const {
    auto have = secret_in(t, name);
    if (!have || !want) return !have && !want;
    return ct_equal(have->view(), want->view());
}

void LocalStore::update_secrets(const std::function<void(SecretTxn&)>& fn) {
    Impl& s = *impl_;
    s.write([&](Txn& t) {
        Impl::SecretsIn st(s, t);
        fn(st);
    });
}

void LocalStore::erase_secret(const std::string& name) {
    name_key(name, "secret name");  // throws before any write
    update_secrets([&](SecretTxn& t) { t.erase(name); });
}

void LocalStore::put_setting(const std::string& name, std::string_view value) {
    Impl& s = *impl_;
    const Bytes key = s.index(kSettings, name_key(name, "setting name"));
    Bytes pt = encode_setting(name, as_bytes(value));
    s.write([&](Txn& t) {
        t.put(s.settings, key, s.seal(kSettings, key, pt));
    });
}

void LocalStore::erase_setting(const std::string& name) {
    Impl& s = *impl_;
    const Bytes key = s.index(kSettings, name_key(name, "setting name"));
    s.write([&](Txn& t) {
        t.del(s.settings, key);
    });
}

std::map<std::string, std::string> LocalStore::settings() {
    Impl& s = *impl_;
    std::map<std::string, std::string> out;
    Txn t = s.read();
    Cursor c = t.cursor(s.settings);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
        auto pt = s.open(kSettings, view(k), view(v));
        if (auto kv = pt ? decode_setting(pt->view()) : std::nullopt) out.emplace(std::move(*kv));
    }
    return out;
}

// The index key is not re-derived: it is random (meta/index), so only the
// records are re-sealed, the index key's own among them.
void LocalStore::rekey(ByteView new_file_key) {
    Impl& s = *impl_;
    auto fresh = Impl::derive(new_file_key);
    s.write([&](Txn& t) {
        s.reseal(t, *fresh, s.msgs, kHistory);
        s.reseal(t, *fresh, s.ids, kIds);
        s.reseal(t, *fresh, s.convs, kConvs);
        s.reseal(t, *fresh, s.contacts, kContacts);
        s.reseal(t, *fresh, s.groups, kGroups);
        s.reseal(t, *fresh, s.secrets, kSecrets);
        s.reseal(t, *fresh, s.settings, kSettings);
        auto ck = as_bytes(kCheckKey), ik = as_bytes(kIndexKey);
        t.put(s.meta, ck, Impl::seal(*fresh, kMeta, ck, as_bytes(kCheckText)));
        t.put(s.meta, ik, Impl::seal(*fresh, kMeta, ik, s.index_key.view()));
    });
    s.gcm = std::move(fresh);
}

}  // namespace tacit::client
