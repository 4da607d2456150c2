#include "srv/session.hpp"

#include "shared/crypto.hpp"

namespace tacit::srv {

std::shared_ptr<Session> SessionTable::create(const std::string& user, uint64_t expires_ms, Token* token) {
    crypto::random_bytes(token->data(), token->size());
    return adopt(crypto::sha256(*token), user, expires_ms);
}

std::shared_ptr<Session> SessionTable::adopt(const Array<32>& hash, const std::string& user, uint64_t expires_ms) {
    auto s = std::make_shared<Session>();
    s->user = user;
    s->expires_ms = expires_ms;
    s->hash = hash;
    by_hash_[hash] = s;
    by_user_.emplace(user, s);
    return s;
}

std::shared_ptr<Session> SessionTable::find(const Token& token, uint64_t now_ms) const {
    auto it = by_hash_.find(crypto::sha256(token));
    if (it == by_hash_.end() || it->second->ended || it->second->expires_ms <= now_ms)
        return nullptr;
    return it->second;
}

std::shared_ptr<Session> SessionTable::erase(const Session& s) {
    std::shared_ptr<Session> keep;
    if (auto it = by_hash_.find(s.hash); it != by_hash_.end()) {
        keep = it->second;
        by_hash_.erase(it);
    }
    auto [lo, hi] = by_user_.equal_range(s.user);
    for (auto it = lo; it != hi;) {
        auto p = it->second.lock();
        if (!p || p.get() == &s) it = by_user_.erase(it);
        else ++it;
    }
    return keep;
}

std::vector<std::shared_ptr<Session>> SessionTable::of_user(const std::string& user) const {
    std::vector<std::shared_ptr<Session>> out;
    auto [lo, hi] = by_user_.equal_range(user);
    for (auto it = lo; it != hi; ++it)
        if (auto p = it->second.lock(); p && !p->ended) out.push_back(p);
    return out;
}

std::vector<std::shared_ptr<Session>> SessionTable::expired(uint64_t now_ms) const {
    std::vector<std::shared_ptr<Session>> out;
    for (auto& [h, s] : by_hash_)
        if (s->expires_ms <= now_ms) out.push_back(s);
    return out;
}

}  // namespace tacit::srv
