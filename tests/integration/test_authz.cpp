// Authorization matrix (issue: reliability and security, proven by tests):
// every logged-in operation tried by a stranger (channel up, not logged in),
// a non-member, a member who isn't the owner, and the owner of a group, each
// getting exactly the status it should; then nobody reads or deletes
// another user's mailbox. Prints the matrix as a table.
#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <functional>

#include "shared/protocol.hpp"
#include "tests/integration/group_records.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tests/integration/report.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

struct Actor {
    std::string name, user;
    FrameConn* c;
    Token token;
    const UserIdentity* id;
};

struct Want {
    uint8_t type;
    uint8_t status;
    bool none = false;  // no reply at all (UPDATE2 that worked)
};

std::string want_text(const Want& w) {
    if (w.none) return "no reply";
    Outcome o;
    o.type = w.type;
    o.status = w.status;
    return describe(o);
}

Bytes random_bytes(size_t n) {
    Bytes b(n);
    crypto::random_bytes(b.data(), n);
    return b;
}

}  // namespace

TEST_CASE("authorization matrix: stranger, non-member, member, owner", "[integration][authz]") {
    Report rep("authorization matrix (group g1: owner own, member mem; out is no member)", "as it should?");
    TestServer s({"--login-rate", "100000", "--register-rate", "100000"});
    const auto& k0 = pooled_identity(0);
    const auto& k1 = pooled_identity(1);
    const auto& k2 = pooled_identity(2);
    {
        FrameConn r(s);
        r.hello();
        REQUIRE(r.register_user("own", "pw", k0) == proto::OK);
        REQUIRE(r.register_user("mem", "pw", k1) == proto::OK);
        REQUIRE(r.register_user("out", "pw", k2) == proto::OK);
        REQUIRE(r.register_user("xtra", "pw", k0) == proto::OK);
        REQUIRE(r.register_user("late", "pw", k1) == proto::OK);
    }
    FrameConn cs(s), co(s), cm(s), cw(s);
    cs.hello(), co.hello(), cm.hello(), cw.hello();
    auto to = co.login("out", "pw", k2), tm = cm.login("mem", "pw", k1), tw = cw.login("own", "pw", k0);
    REQUIRE(to);
    REQUIRE(tm);
    REQUIRE(tw);
    // The stranger holds a live token (the owner's) and a real key: only the
    // missing login stops it.
    std::vector<Actor> roles = {{"stranger", "own", &cs, *tw, &k0},
                               {"non-member", "out", &co, *to, &k2},
                               {"member", "mem", &cm, *tm, &k1},
                               {"owner", "own", &cw, *tw, &k0}};
    auto& W = roles[3];
    // Each change carries its actor's signed record, made on the head the
    // server accepted last (tacit-protocol(7), GROUPS).
    GroupRecords recs;
    using K = group::Kind;
    auto setup = [&](Bytes body) {
        auto st = cw.call(body, &k0.sign).status;
        recs.settle(st);
        return st;
    };
    REQUIRE(setup(msg::encode_body(msg::GroupCreate{
                W.token, "g1", recs.make(K::Create, "g1", "own", "own", k0, k0.bundle().encode()), test_nonce()})) ==
            proto::OK);
    REQUIRE(setup(msg::encode_body(msg::GroupAdd{
                W.token, "mem", "g1", recs.make(K::Add, "g1", "own", "mem", k0, k1.bundle().encode()), test_nonce()})) ==
            proto::OK);
    REQUIRE(setup(msg::encode_body(msg::GroupAdd{
                W.token, "xtra", "g1", recs.make(K::Add, "g1", "own", "xtra", k0, k0.bundle().encode()),
                test_nonce()})) == proto::OK);

    const Want ERR{proto::ERROR, proto::AUTH_FAILED};
    auto R = [](uint8_t req) { return uint8_t(proto::reply_type(req)); };
    struct Op {
        std::string name;
        std::function<Bytes(Actor&)> body;
        bool sign;
        std::vector<Want> want;  // stranger, non-member, member, owner
    };
    auto other_member = [](Actor& r) { return r.user == "own" ? std::string("mem") : std::string("own"); };
    std::vector<Op> ops = {
        {"ONLINE", [](Actor& r) { return msg::encode_body(msg::Online{r.token, test_nonce()}); }, true,
         {ERR, {R(proto::ONLINE), 0}, {R(proto::ONLINE), 0}, {R(proto::ONLINE), 0}}},
        {"MSG1 own", [](Actor& r) { return msg::encode_body(msg::Msg1{r.token, "own", test_nonce()}); }, true,
         {ERR, {R(proto::MSG1), 0}, {R(proto::MSG1), 0}, {R(proto::MSG1), 0}}},
        {"MSG2 own",
         [](Actor&) {
             msg::Msg2 m{test_nonce(), "own", random_bytes(200), {}};
             return msg::encode_body(m);
         },
         true, {ERR, {R(proto::MSG2), 0}, {R(proto::MSG2), 0}, {R(proto::MSG2), 0}}},
        {"UPDATE1", [](Actor& r) { return msg::encode_body(msg::Update1{r.token, test_nonce()}); }, false,
         {ERR, {R(proto::UPDATE1), 0}, {R(proto::UPDATE1), 0}, {R(proto::UPDATE1), 0}}},
        {"UPDATE2 (own nonce2)",
         [](Actor& r) {
             Nonce n2 = test_nonce();
             if (r.name != "stranger") {
                 REQUIRE(r.c->send(msg::encode_body(msg::Update1{r.token, test_nonce()})));
                 auto f = r.c->reply(10000);
                 REQUIRE(f);
                 n2 = msg::decode<msg::Update1R>(f->pt).m.nonce2;
             }
             return msg::encode_body(msg::Update2{n2});
         },
         false, {ERR, {0, 0, true}, {0, 0, true}, {0, 0, true}}},
        {"GROUP_CREATE (new id)",
         [&](Actor& r) {
             const std::string g = "new-" + r.user;
             return msg::encode_body(msg::GroupCreate{
                 r.token, g, recs.make(K::Create, g, r.user, r.user, *r.id, r.id->bundle().encode()), test_nonce()});
         },
         true,
         {ERR, {R(proto::GROUP_CREATE), 0}, {R(proto::GROUP_CREATE), 0}, {R(proto::GROUP_CREATE), 0}}},
        {"GROUP_CREATE g1",
         [&](Actor& r) {
             return msg::encode_body(msg::GroupCreate{
                 r.token, "g1", recs.make(K::Create, "g1", r.user, r.user, *r.id, r.id->bundle().encode()),
                 test_nonce()});
         },
         true,
         {ERR,
          {R(proto::GROUP_CREATE), proto::GROUP_EXISTS},
          {R(proto::GROUP_CREATE), proto::GROUP_EXISTS},
          {R(proto::GROUP_CREATE), proto::GROUP_EXISTS}}},
        {"GROUP_ADD late to g1",
         [&](Actor& r) {
             return msg::encode_body(msg::GroupAdd{
                 r.token, "late", "g1", recs.make(K::Add, "g1", r.user, "late", *r.id, k1.bundle().encode()),
                 test_nonce()});
         },
         true,
         {ERR,
          {R(proto::GROUP_ADD), proto::NOT_OWNER},
          {R(proto::GROUP_ADD), proto::NOT_OWNER},
          {R(proto::GROUP_ADD), proto::OK}}},
        {"GROUP_ADD to a group that doesn't exist",
         [&](Actor& r) {
             return msg::encode_body(msg::GroupAdd{
                 r.token, "late", "nogroup", recs.make(K::Add, "nogroup", r.user, "late", *r.id, k1.bundle().encode()),
                 test_nonce()});
         },
         true,
         {ERR,
          {R(proto::GROUP_ADD), proto::NO_SUCH_GROUP},
          {R(proto::GROUP_ADD), proto::NO_SUCH_GROUP},
          {R(proto::GROUP_ADD), proto::NO_SUCH_GROUP}}},
        {"GROUP_REMOVE xtra from g1",
         [&](Actor& r) {
             return msg::encode_body(
                 msg::GroupRemove{r.token, "xtra", "g1", recs.make(K::Remove, "g1", r.user, "xtra", *r.id), test_nonce()});
         },
         true,
         {ERR,
          {R(proto::GROUP_REMOVE), proto::NOT_OWNER},
          {R(proto::GROUP_REMOVE), proto::NOT_OWNER},
          {R(proto::GROUP_REMOVE), proto::OK}}},
        {"GROUP_FETCH g1", [](Actor& r) { return msg::encode_body(msg::GroupFetch{r.token, "g1", 0, test_nonce()}); },
         true,
         {ERR, {R(proto::GROUP_FETCH), proto::NOT_MEMBER}, {R(proto::GROUP_FETCH), 0}, {R(proto::GROUP_FETCH), 0}}},
        // Anyone logged in lists its own groups (the reply names no other's).
        {"GROUP_LIST", [](Actor& r) { return msg::encode_body(msg::GroupList{r.token, test_nonce()}); }, true,
         {ERR, {R(proto::GROUP_LIST), 0}, {R(proto::GROUP_LIST), 0}, {R(proto::GROUP_LIST), 0}}},
        {"GROUP_MSG1 g1", [](Actor& r) { return msg::encode_body(msg::GroupMsg1{r.token, "g1", test_nonce()}); }, true,
         {ERR,
          {R(proto::GROUP_MSG1), proto::NOT_MEMBER},
          {R(proto::GROUP_MSG1), proto::OK},
          {R(proto::GROUP_MSG1), proto::OK}}},
        {"GROUP_MSG2 g1 to a member",
         [&](Actor& r) {
             msg::GroupMsg2 m{test_nonce(), "g1", other_member(r), random_bytes(200), Bytes{}};
             return msg::encode_body(m);
         },
         true,
         {ERR,
          {R(proto::GROUP_MSG2), proto::NOT_MEMBER},
          {R(proto::GROUP_MSG2), proto::OK},
          {R(proto::GROUP_MSG2), proto::OK}}},
        {"GROUP_MSG2 g1 to a non-member",
         [](Actor&) {
             msg::GroupMsg2 m{test_nonce(), "g1", "out", random_bytes(200), Bytes{}};
             return msg::encode_body(m);
         },
         true,
         {ERR,
          {R(proto::GROUP_MSG2), proto::NOT_MEMBER},
          {R(proto::GROUP_MSG2), proto::NOT_MEMBER},
          {R(proto::GROUP_MSG2), proto::NOT_MEMBER}}},
        {"GROUP_MSG2_BATCH g1 to the members",
         [&](Actor& r) {
             msg::GroupMsg2Batch b;
             b.nonce = test_nonce();
             b.group = "g1";
             b.parts.push_back(msg::Part{other_member(r), random_bytes(200), Bytes{}});
             b.parts.push_back(msg::Part{"late", random_bytes(200), Bytes{}});
             return msg::encode_body(b);
         },
         true,
         {ERR,
          {R(proto::GROUP_MSG2_BATCH), proto::NOT_MEMBER},
          {R(proto::GROUP_MSG2_BATCH), proto::OK},
          {R(proto::GROUP_MSG2_BATCH), proto::OK}}},
        {"RENEW1", [](Actor& r) { return msg::encode_body(msg::Renew1{r.token, test_nonce()}); }, false,
         {ERR, {R(proto::RENEW1), 0}, {R(proto::RENEW1), 0}, {R(proto::RENEW1), 0}}},
        // Last, since it changes the membership: a member may leave, the
        // owner may not while others remain, a non-member has nothing to leave.
        {"GROUP_REMOVE self from g1 (leave)",
         [&](Actor& r) {
             return msg::encode_body(msg::GroupRemove{
                 r.token, r.user, "g1", recs.make(K::Leave, "g1", r.user, r.user, *r.id), test_nonce()});
         },
         true,
         {ERR,
          {R(proto::GROUP_REMOVE), proto::NOT_MEMBER},
          {R(proto::GROUP_REMOVE), proto::OK},
          {R(proto::GROUP_REMOVE), proto::BAD_REQUEST}}},
    };

    for (auto& op : ops) {
        for (size_t i = 0; i < roles.size(); ++i) {
            auto& r = roles[i];
            const Want& w = op.want[i];
            Outcome o = r.c->call(op.body(r), op.sign ? &r.id->sign : nullptr, nullptr, w.none ? 500 : 10000);
            recs.settle(o.type == proto::ERROR ? uint8_t(proto::AUTH_FAILED) : o.status);
            bool ok;
            if (w.none) {
                // Nothing came back; a PING proves the connection is fine and
                // that nothing was queued before its PONG.
                auto p = r.c->call(msg::encode_body(msg::Ping{test_nonce()}));
                ok = o.timeout && p.type == msg::Pong::type;
                if (!o.timeout) o.msg += " (expected silence)";
            } else {
                ok = !o.closed && !o.timeout && o.type == w.type && o.status == w.status;
                if (r.name == "stranger") ok = ok && o.msg == "log in first";
            }
            rep.add(op.name + " as " + r.name + (r.name == "stranger" ? "" : " (" + r.user + ")"), want_text(w),
                    w.none && o.timeout ? "no reply; PING answered" : describe(o), ok ? "yes" : "NO");
            INFO(op.name << " as " << r.name << ": " << describe(o));
            CHECK(ok);
        }
    }

    // Another session's token, on the member's connection: every request
    // that carries a token refuses it (MSG2 and GROUP_MSG2 carry none; the
    // connection's login names the sender).
    struct TokOp {
        std::string name;
        Bytes body;
        bool sign;
        Want want;
    };
    const Token& foreign = W.token;
    std::vector<TokOp> tok_ops = {
        {"ONLINE", msg::encode_body(msg::Online{foreign, test_nonce()}), true, ERR},
        {"MSG1", msg::encode_body(msg::Msg1{foreign, "own", test_nonce()}), true, ERR},
        {"UPDATE1", msg::encode_body(msg::Update1{foreign, test_nonce()}), false, ERR},
        {"GROUP_CREATE", msg::encode_body(msg::GroupCreate{foreign, "stolen", {}, test_nonce()}), true,
         {R(proto::GROUP_CREATE), proto::AUTH_FAILED}},
        {"GROUP_ADD", msg::encode_body(msg::GroupAdd{foreign, "out", "g1", {}, test_nonce()}), true,
         {R(proto::GROUP_ADD), proto::AUTH_FAILED}},
        {"GROUP_REMOVE", msg::encode_body(msg::GroupRemove{foreign, "late", "g1", {}, test_nonce()}), true,
         {R(proto::GROUP_REMOVE), proto::AUTH_FAILED}},
        {"GROUP_MSG1", msg::encode_body(msg::GroupMsg1{foreign, "g1", test_nonce()}), true,
         {R(proto::GROUP_MSG1), proto::AUTH_FAILED}},
        {"RENEW1", msg::encode_body(msg::Renew1{foreign, test_nonce()}), false, ERR},
        {"LOGOUT", msg::encode_body(msg::Logout{foreign}), true, ERR},
    };
    for (auto& t : tok_ops) {
        auto o = cm.call(t.body, t.sign ? &k1.sign : nullptr);
        bool ok = o.type == t.want.type && o.status == t.want.status;
        rep.add(t.name + " as member with the owner's token", want_text(t.want), describe(o), ok ? "yes" : "NO");
        INFO(t.name << ": " << describe(o));
        CHECK(ok);
    }

    // Nobody reads or deletes another user's mailbox.
    auto page_of = [](FrameConn& c, const Token& t) {
        REQUIRE(c.send(msg::encode_body(msg::Update1{t, test_nonce()})));
        auto f = c.reply(10000);
        REQUIRE(f);
        REQUIRE(f->type() == msg::Update1R::type);
        return msg::decode<msg::Update1R>(f->pt).m;
    };
    auto ids = [](const msg::Update1R& p) {
        std::vector<uint64_t> v;
        for (auto& m : p.messages) v.push_back(m.id);
        return v;
    };
    auto page = page_of(cw, W.token);
    REQUIRE(!page.messages.empty());  // MSG2s and group messages from the matrix
    FrameConn cw2(s);
    cw2.hello();
    auto tw2 = cw2.login("own", "pw", k0);
    REQUIRE(tw2);
    for (auto* c : {&co, &cm, &cw2}) {
        std::string who = c == &co ? "non-member" : c == &cm ? "member" : "owner's other session";
        auto o = c->call(msg::encode_body(msg::Update2{page.nonce2}));
        bool ok = o.type == proto::ERROR && o.status == proto::BAD_REQUEST;
        rep.add("UPDATE2 with the owner's pending nonce2, as " + who, "ERROR BAD_REQUEST, nothing deleted",
                describe(o), ok ? "yes" : "NO");
        CHECK(ok);
    }
    auto again = page_of(cw, W.token);
    bool same = ids(again) == ids(page);
    rep.add("owner fetches again", "the same messages, all still there",
            fmt::format("{} of {} still there", again.messages.size(), page.messages.size()), same ? "yes" : "NO");
    CHECK(same);
    // The first nonce2 died with the second UPDATE1; the current one works.
    auto stale = cw.call(msg::encode_body(msg::Update2{page.nonce2}));
    rep.add("owner UPDATE2 with the replaced nonce2", "ERROR BAD_REQUEST", describe(stale),
            stale.type == proto::ERROR && stale.status == proto::BAD_REQUEST ? "yes" : "NO");
    CHECK((stale.type == proto::ERROR && stale.status == proto::BAD_REQUEST));
    REQUIRE(cw.send(msg::encode_body(msg::Update2{again.nonce2})));
    auto after = page_of(cw, W.token);
    rep.add("owner UPDATE2 with the current nonce2", "the page is deleted",
            fmt::format("{} left", after.messages.size()), after.messages.empty() ? "yes" : "NO");
    CHECK(after.messages.empty());
}
