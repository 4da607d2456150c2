// Sealed message structs (shared/messages*.hpp) against tacit-protocol(7), MESSAGES.
#include <catch2/catch.hpp>

#include <tuple>

#include "shared/messages.hpp"
#include "shared/names.hpp"

using namespace tacit;
using namespace tacit::msg;

namespace {

template <size_t N> Array<N> pattern(uint8_t start) {
    Array<N> a;
    for (size_t i = 0; i < N; ++i) a[i] = uint8_t(start + i);
    return a;
}
Bytes bytes_of(size_t n, uint8_t start) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(start + i * 7);
    return b;
}
Bytes str_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes& operator<<(Bytes& b, ByteView v) {
    b.insert(b.end(), v.begin(), v.end());
    return b;
}
Bytes& operator<<(Bytes& b, std::initializer_list<uint8_t> v) {
    b.insert(b.end(), v.begin(), v.end());
    return b;
}

WireError::Kind error_kind(auto&& f) {
    try {
        f();
    } catch (const WireError& e) {
        return e.kind;
    }
    FAIL("expected a WireError");
    return WireError::Invalid;
}

Stored sample_stored(uint64_t id, uint8_t kind) {
    Stored s;
    s.id = id;
    s.kind = kind;
    s.sender = kind == proto::STORED_MESSAGE ? "bob" : "";
    s.group = "ops";
    s.received_at_ms = 1700000000123ull + id;
    s.enc_msg = bytes_of(50 + id, uint8_t(id));
    if (kind == proto::STORED_MESSAGE) s.wrapped_key = bytes_of(80, 9);
    return s;
}

// One instance of every message, each field different from its default.
auto samples() {
    return std::make_tuple(
        HelloR{pattern<16>(1), pattern<32>(20), pattern<32>(60)},
        Register{"alice", bytes_of(32, 3), bytes_of(400, 5), pattern<16>(100),
                 PrekeySet{{9, 1700000000, pattern<32>(70), bytes_of(384, 6)}, {{5, pattern<32>(71)}}}},
        RegisterR{pattern<16>(100), "Welcome, alice.", proto::OK},
        Renew1{pattern<32>(7), pattern<16>(50)},
        Renew1R{pattern<16>(50)},
        Renew2{bytes_of(proto::kResumeEciesLen, 11)},
        Renew2R{pattern<16>(2), pattern<32>(40), pattern<32>(80)},
        Renew3{pattern<32>(7), bytes_of(32, 1), bytes_of(500, 2), pattern<16>(3)},
        Renew3R{pattern<16>(3), "key replaced", proto::STORAGE_FULL},
        Login1{"carol.x-1_", pattern<16>(200)},
        Login1R{pattern<16>(201), bytes_of(16, 44)},
        Login2{bytes_of(32, 99)},
        Login2R{pattern<32>(33), pattern<16>(200), proto::AUTH_FAILED, "Login failed."},
        Logout{pattern<32>(33)},
        Online{pattern<32>(33), pattern<16>(4)},
        OnlineR{pattern<16>(4), {"alice", "bob", "carol"}},
        Msg1{pattern<32>(33), "bob", pattern<16>(5)},
        Msg1R{bytes_of(420, 6), pattern<16>(5)},
        Msg2{pattern<16>(6), "bob", bytes_of(300, 1), bytes_of(80, 2)},
        Msg2R{"Delivered.", proto::TOO_LARGE, pattern<16>(6)},
        Update1{pattern<32>(33), pattern<16>(7)},
        Update1R{{sample_stored(1, proto::STORED_MESSAGE), sample_stored(2, proto::STORED_SYSTEM)},
                 pattern<16>(7), pattern<16>(8), 1},
        Update2{pattern<16>(8)},
        GroupCreate{pattern<32>(33), "ops", Bytes{5, 1, 2}, pattern<16>(9)},
        GroupCreateR{proto::GROUP_EXISTS, "That group exists.", pattern<16>(9)},
        GroupAdd{pattern<32>(33), "carol", "ops", Bytes{5, 2}, pattern<16>(10)},
        GroupAddR{proto::NOT_OWNER, "Only the owner adds members.", pattern<16>(10)},
        GroupRemove{pattern<32>(33), "dave", "ops", Bytes{5, 3}, pattern<16>(11)},
        GroupRemoveR{proto::NOT_MEMBER, "dave is not a member.", pattern<16>(11)},
        GroupMsg1{pattern<32>(33), "ops", pattern<16>(12)},
        GroupMsg1R{proto::OK, "ok", pattern<16>(12),
                   {{"bob", bytes_of(300, 3)}, {"carol", bytes_of(301, 4)}}},
        GroupMsg2{pattern<16>(13), "ops", "bob", bytes_of(90, 5), bytes_of(80, 6)},
        GroupMsg2R{"stored", proto::RATE_LIMITED, pattern<16>(13)},
        GroupMsg2Batch{pattern<16>(14), "ops",
                       {{"bob", bytes_of(60, 1), bytes_of(80, 2)},
                        {"carol", bytes_of(61, 3), bytes_of(80, 4)},
                        {"dave", {}, bytes_of(80, 5)}}},
        GroupMsg2BatchR{"carol is not a member.", proto::NOT_MEMBER, pattern<16>(14)},
        GroupFetch{pattern<32>(33), "ops", 7, pattern<16>(16)},
        GroupFetchR{proto::OK, "2 records of ops", pattern<16>(16), 8, {Bytes{5, 1}, Bytes{5, 2, 3}}},
        PrekeyUpload{pattern<32>(33), pattern<16>(17),
                     PrekeySet{{7, 1700000000, pattern<32>(90), bytes_of(384, 8)},
                               {{1, pattern<32>(1)}, {70000, pattern<32>(2)}}}},
        PrekeyUploadR{proto::TOO_LARGE, "at most 100", pattern<16>(17), 200},
        PrekeyFetch{pattern<32>(33), "alice", pattern<16>(18)},
        PrekeyFetchR{proto::OK, "bundle", pattern<16>(18), bytes_of(470, 9)},
        Ping{pattern<16>(15)},
        Pong{pattern<16>(15)},
        Notify{proto::NOTIFY_PRESENCE, 70000, ""},
        Notify{proto::NOTIFY_GROUP_RECORDS, 9, "ops"},
        GroupList{pattern<32>(33), pattern<16>(18)},
        GroupListR{proto::OK, "2 groups", pattern<16>(18), {{"ops", 3}, {"sec", 0}}},
        Error{pattern<16>(16), proto::BAD_REQUEST, "Malformed request."});
}

template <class M> Bytes signed_body(const M& m) {
    Bytes b = encode_body(m);
    for (int i = 0; i < M::sigs; ++i) append_sig(b, bytes_of(size_t(384 + i), uint8_t(0x40 + i)));
    return b;
}

template <class M> void check_round_trip(const M& m) {
    INFO("type 0x" << std::hex << int(M::type));
    CHECK_FALSE(m == M{});  // the sample really is non-trivial
    Bytes fields = encode_body(m);
    Bytes b = signed_body(m);
    REQUIRE(b[0] == M::type);

    auto d = decode<M>(b);
    CHECK(d.m == m);
    CHECK(d.signed_len == fields.size());
    REQUIRE(d.sigs.size() == size_t(M::sigs));
    for (int i = 0; i < M::sigs; ++i) CHECK(d.sigs[size_t(i)] == bytes_of(size_t(384 + i), uint8_t(0x40 + i)));
    CHECK(encode_body(d.m) == fields);

    // Every proper prefix is refused.
    for (size_t n = 0; n < b.size(); ++n) {
        INFO("prefix " << n << " of " << b.size());
        CHECK_THROWS_AS(decode<M>(ByteView(b).first(n)), WireError);
    }
    // Trailing bytes are refused.
    Bytes longer = b;
    longer.push_back(0);
    CHECK(error_kind([&] { decode<M>(longer); }) == WireError::Invalid);
    // Any other type byte is refused.
    Bytes other = b;
    other[0] = uint8_t(M::type ^ 0x01);
    CHECK(error_kind([&] { decode<M>(other); }) == WireError::Invalid);
}

}  // namespace

TEST_CASE("every message round-trips and refuses prefixes, trailing bytes, wrong type",
          "[messages]") {
    std::apply([](const auto&... m) { (check_round_trip(m), ...); }, samples());
}

TEST_CASE("type numbers match tacit-protocol(7), MESSAGES", "[messages]") {
    CHECK(HelloR::type == 0x83);
    CHECK(Register::type == 0x10);
    CHECK(RegisterR::type == 0x90);
    CHECK(Renew2R::type == 0x92);
    CHECK(Renew3::sigs == 2);
    CHECK(Logout::type == 0x16);
    CHECK(Update1R::type == 0x9A);
    CHECK(Update1R::sigs == 0);
    CHECK(Update2::sigs == 0);
    CHECK(GroupMsg2BatchR::type == 0xA1);
    CHECK(GroupFetch::type == 0x22);
    CHECK(GroupFetchR::type == 0xA2);
    CHECK(GroupList::type == 0x23);
    CHECK(GroupListR::type == 0xA3);
    CHECK(Pong::type == 0xB0);
    CHECK(Notify::type == 0x40);
    CHECK(Error::type == 0xFF);

    // with_message_type finds every struct by its byte, and nothing else.
    int found = 0;
    for (int t = 0; t < 256; ++t)
        if (with_message_type(uint8_t(t), [&](auto id) {
                using M = typename decltype(id)::type;
                CHECK(M::type == t);
            }))
            ++found;
    CHECK(found == 47);
    CHECK_FALSE(with_message_type(0x00, [](auto) {}));
}

TEST_CASE("REGISTER bytes are exact", "[messages]") {
    Register m{"alice", Bytes(32, 0xAA), {1, 2, 3}, pattern<16>(0x10),
               PrekeySet{{0x01020304, 0x0A0B0C0D0E0F1011ull, pattern<32>(90), bytes_of(3, 8)},
                         {{0x11223344, pattern<32>(1)}}}};
    Bytes body = encode_body(m);
    append_sig(body, Bytes{0xC1, 0xC2});

    Bytes want;
    want << std::initializer_list<uint8_t>{0x10, 0x00, 0x05} << as_bytes("alice");
    want << std::initializer_list<uint8_t>{0x00, 0x00, 0x00, 0x20} << Bytes(32, 0xAA);
    want << std::initializer_list<uint8_t>{0x00, 0x00, 0x00, 0x03, 1, 2, 3};
    want << pattern<16>(0x10);
    // The prekey set, as in PREKEY_UPLOAD.
    want << std::initializer_list<uint8_t>{1, 2, 3, 4}
         << std::initializer_list<uint8_t>{0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11} << pattern<32>(90)
         << std::initializer_list<uint8_t>{0, 3} << bytes_of(3, 8) << std::initializer_list<uint8_t>{0, 1}
         << std::initializer_list<uint8_t>{0x11, 0x22, 0x33, 0x44} << pattern<32>(1);
    want << std::initializer_list<uint8_t>{0x00, 0x02, 0xC1, 0xC2};
    CHECK(body == want);

    auto d = decode<Register>(want);
    CHECK(d.m == m);
    CHECK(d.signed_len == want.size() - 4);
    CHECK(d.sigs == std::vector<Bytes>{{0xC1, 0xC2}});
}

TEST_CASE("LOGIN2_R bytes are exact", "[messages]") {
    Login2R m{pattern<32>(0x80), pattern<16>(0x01), proto::AUTH_FAILED, "no"};
    Bytes body = encode_body(m);
    append_sig(body, Bytes{0x30, 0x44, 0x02});

    Bytes want{0x95};
    want << pattern<32>(0x80) << pattern<16>(0x01);
    want << std::initializer_list<uint8_t>{0x02, 0x00, 0x02, 'n', 'o', 0x00, 0x03, 0x30, 0x44, 0x02};
    CHECK(body == want);
    CHECK(decode<Login2R>(want).m == m);
}

TEST_CASE("PREKEY_UPLOAD and PREKEY_FETCH_R bytes are exact", "[messages]") {
    PrekeyUpload u{pattern<32>(33), pattern<16>(17),
                   {{0x01020304, 0x0A0B0C0D0E0F1011ull, pattern<32>(90), bytes_of(3, 8)},
                    {{0x11223344, pattern<32>(1)}}}};
    Bytes want{proto::PREKEY_UPLOAD};
    want << pattern<32>(33) << pattern<16>(17) << std::initializer_list<uint8_t>{1, 2, 3, 4}
         << std::initializer_list<uint8_t>{0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11} << pattern<32>(90)
         << std::initializer_list<uint8_t>{0, 3} << bytes_of(3, 8) << std::initializer_list<uint8_t>{0, 1}
         << std::initializer_list<uint8_t>{0x11, 0x22, 0x33, 0x44} << pattern<32>(1);
    CHECK(encode_body(u) == want);
    PrekeyFetchR r{proto::NO_PREKEYS, "no", pattern<16>(18), {}};
    Bytes want_r{0xA6, 16, 0, 2, 'n', 'o'};
    want_r << pattern<16>(18) << std::initializer_list<uint8_t>{0, 0, 0, 0};
    CHECK(encode_body(r) == want_r);
    // A count of one-time prekeys the frame cannot hold fails before allocating.
    PrekeyUpload none;
    none.prekeys.spk.sig = bytes_of(1, 1);
    const size_t at = encode_body(none).size() - 2;
    Bytes huge = signed_body(none);
    CHECK_NOTHROW(decode<PrekeyUpload>(huge));
    huge[at] = 0xFF;
    huge[at + 1] = 0xFF;
    CHECK_THROWS_AS(decode<PrekeyUpload>(huge), WireError);
}

TEST_CASE("NOTIFY bytes are exact", "[messages]") {
    Bytes want{0x40, 0x01, 0x00, 0x01, 0x02, 0x03};
    CHECK(encode_body(Notify{proto::NOTIFY_MAIL, 0x010203, ""}) == want);
    auto d = decode<Notify>(want);
    CHECK(d.m.what == proto::NOTIFY_MAIL);
    CHECK(d.m.count == 0x010203u);
    CHECK(d.sigs.empty());
    CHECK(d.signed_len == 6);
}

TEST_CASE("NOTIFY group-records carries the group after count", "[messages][groupcost]") {
    // u8 4 | u32 head epoch | str group (tacit-protocol(7), NOTIFY AND PING)
    Bytes want{0x40, 0x04, 0x00, 0x00, 0x00, 0x07, 0x00, 0x03, 'o', 'p', 's'};
    CHECK(encode_body(Notify{proto::NOTIFY_GROUP_RECORDS, 7, "ops"}) == want);
    auto d = decode<Notify>(want);
    CHECK(d.m.group == "ops");
    CHECK(d.m.count == 7u);
    Bytes bad = want;
    bad[7] = 0x02;  // a name one byte shorter leaves a byte over
    CHECK_THROWS_AS(decode<Notify>(bad), WireError);
    Bytes long_name{0x40, 0x04, 0, 0, 0, 0, 0x00, 0x41};
    long_name.insert(long_name.end(), 65, 'a');
    CHECK_THROWS_AS(decode<Notify>(long_name), WireError);  // past the 64-byte name bound
    // Other kinds end at count: the group is not sent.
    CHECK(encode_body(Notify{proto::NOTIFY_MAIL, 1, "ops"}).size() == 6);
}

TEST_CASE("GROUP_LIST and GROUP_LIST_R bytes are exact", "[messages][groupcost]") {
    GroupListR r;
    r.status = proto::OK;
    r.msg = "1";
    r.nonce.fill(0x11);
    r.groups.push_back(GroupHeadItem{"ops", 0x0102});
    Bytes want{0xA3, 0x00, 0x00, 0x01, '1'};
    want.insert(want.end(), 16, 0x11);
    want.insert(want.end(), {0, 0, 0, 1, 0, 3, uint8_t('o'), uint8_t('p'), uint8_t('s'), 0, 0, 0, 0, 0, 0, 1, 2});
    CHECK(encode_body(r) == want);
    GroupList l;
    l.token.fill(0x22);
    l.nonce.fill(0x33);
    CHECK(encode_body(l).size() == 1 + 32 + 16);
    CHECK(encode_body(l)[0] == 0x23);
}

TEST_CASE("HELLO_R, RENEW2 and UPDATE2 have fixed sizes", "[messages]") {
    CHECK(encode_body(HelloR{}).size() == 1 + 16 + 32 + 32);
    CHECK(encode_body(Renew2{Bytes(proto::kResumeEciesLen, 1)}).size() == 1 + 140);
    CHECK(encode_body(Update2{}).size() == 1 + 16);
    CHECK(error_kind([] { encode_body(Renew2{Bytes(139, 1)}); }) == WireError::Invalid);
}

TEST_CASE("ERROR decodes with zero or one sig", "[messages]") {
    Error e{pattern<16>(3), proto::AUTH_FAILED, "Bad token."};
    Bytes plain = encode_body(e);
    auto d0 = decode_error(plain);
    CHECK(d0.m == e);
    CHECK(d0.sigs.empty());
    CHECK(d0.signed_len == plain.size());

    Bytes sealed = plain;
    append_sig(sealed, Bytes(70, 0x30));
    auto d1 = decode_error(sealed);
    CHECK(d1.m == e);
    REQUIRE(d1.sigs.size() == 1);
    CHECK(d1.sigs[0] == Bytes(70, 0x30));
    CHECK(d1.signed_len == plain.size());
    // decode<Error> is the strict unsigned form.
    CHECK_THROWS_AS(decode<Error>(sealed), WireError);

    Bytes two = sealed;
    append_sig(two, Bytes(70, 0x31));
    CHECK(error_kind([&] { decode_error(two); }) == WireError::Invalid);
    for (size_t n = 1; n < plain.size(); ++n)
        CHECK_THROWS_AS(decode_error(ByteView(plain).first(n)), WireError);
    Bytes wrong = plain;
    wrong[0] = 0x7F;
    CHECK(error_kind([&] { decode_error(wrong); }) == WireError::Invalid);
}

TEST_CASE("oversize fields are refused as TooLarge", "[messages]") {
    auto too_large = [](auto&& f) { return error_kind(f) == WireError::TooLarge; };

    SECTION("names over 64 bytes") {
        CHECK(too_large([] { decode<Login1>(signed_body(Login1{std::string(65, 'a'), {}})); }));
        CHECK_NOTHROW(decode<Login1>(signed_body(Login1{std::string(64, 'a'), {}})));
        CHECK(too_large([] {
            decode<GroupAdd>(signed_body(GroupAdd{{}, "bob", std::string(65, 'g'), {}, {}}));
        }));
    }
    SECTION("msg strings over 1024 bytes") {
        CHECK(too_large([] { decode<Msg2R>(signed_body(Msg2R{std::string(1025, 'x'), 0, {}})); }));
        CHECK_NOTHROW(decode<Msg2R>(signed_body(Msg2R{std::string(1024, 'x'), 0, {}})));
    }
    SECTION("pass, proof, salt over 64 bytes") {
        CHECK(too_large([] { decode<Register>(signed_body(Register{"a", Bytes(65), {}, {}, {}})); }));
        CHECK(too_large([] { decode<Login2>(signed_body(Login2{Bytes(65)})); }));
        CHECK(too_large([] { decode<Login1R>(signed_body(Login1R{{}, Bytes(65)})); }));
    }
    SECTION("public key over the bundle bound") {
        CHECK(too_large([] {
            decode<Register>(signed_body(Register{"a", Bytes(32), Bytes(proto::kMaxBundle + 1), {}, {}}));
        }));
        CHECK_NOTHROW(decode<Register>(
            signed_body(Register{"a", Bytes(32), Bytes(proto::kMaxBundle), {}, PrekeySet{{1, 2, {}, Bytes(1)}, {}}})));
    }
    SECTION("a blob length is checked before the data is looked at") {
        // MSG2 announcing an enc_msg of 1 MiB + 1 with no data behind it.
        Bytes b{Msg2::type};
        b << pattern<16>(0) << std::initializer_list<uint8_t>{0x00, 0x01, 'b', 0x00, 0x10, 0x00, 0x01};
        CHECK(too_large([&] { decode<Msg2>(b); }));
        Bytes huge{Msg1R::type, 0xFF, 0xFF, 0xFF, 0xFF};
        CHECK(too_large([&] { decode<Msg1R>(huge); }));
    }
    SECTION("wrapped_key over 1024 and body over kMaxBody") {
        CHECK(too_large([] {
            decode<Msg2>(signed_body(Msg2{{}, "bob", Bytes(10), Bytes(1025)}));
        }));
        FormattedMessage f;
        f.body = Bytes(proto::kMaxBody + 1);
        Bytes plain = f.encode(Bytes{1});
        CHECK(too_large([&] { FormattedMessage::decode(plain); }));
    }
    SECTION("sig over kMaxSig, and an empty sig") {
        Bytes b = encode_body(Logout{});
        append_sig(b, Bytes(proto::kMaxSig + 1, 1));
        CHECK(too_large([&] { decode<Logout>(b); }));
        Bytes e = encode_body(Logout{});
        e << std::initializer_list<uint8_t>{0x00, 0x00};
        CHECK(error_kind([&] { decode<Logout>(e); }) == WireError::Invalid);
        Bytes body;
        CHECK_THROWS_AS(append_sig(body, Bytes{}), WireError);
    }
}

TEST_CASE("list counts larger than the data are refused before allocating", "[messages]") {
    Bytes online{OnlineR::type};
    online << pattern<16>(0) << std::initializer_list<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF};
    CHECK(error_kind([&] { decode<OnlineR>(online); }) == WireError::TooLarge);

    // UPDATE1_R claiming two stored items where the bytes hold one.
    Update1R u{{sample_stored(1, proto::STORED_MESSAGE)}, {}, {}, 0};
    Bytes b = encode_body(u);
    b[4] = 2;
    CHECK_THROWS_AS(decode<Update1R>(b), WireError);
    b[1] = 0x7F;
    CHECK(error_kind([&] { decode<Update1R>(b); }) == WireError::TooLarge);

    Bytes batch{GroupMsg2Batch::type};
    batch << pattern<16>(0) << std::initializer_list<uint8_t>{0x00, 0x01, 'g', 0x10, 0x00, 0x00, 0x00};
    append_sig(batch, Bytes(8, 1));
    CHECK(error_kind([&] { decode<GroupMsg2Batch>(batch); }) == WireError::TooLarge);

    Bytes members{GroupMsg1R::type, 0x00, 0x00, 0x00};
    members << pattern<16>(0) << std::initializer_list<uint8_t>{0x01, 0x00, 0x00, 0x00};
    CHECK(error_kind([&] { decode<GroupMsg1R>(members); }) == WireError::TooLarge);
}

TEST_CASE("sig_input layout", "[messages]") {
    Array<32> sid = pattern<32>(0xA0);
    Bytes tf{0x14, 0x00, 0x01, 'z'};
    Bytes got = sig_input(proto::S2C, sid, 0x0102030405060708ull, tf);

    Bytes want = str_bytes("tacit v2");
    want << std::initializer_list<uint8_t>{0x01} << sid;
    want << std::initializer_list<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8} << tf;
    CHECK(got == want);
    CHECK(got.size() == 8 + 1 + 32 + 8 + tf.size());
    CHECK(sig_input(proto::C2S, sid, 0x0102030405060708ull, tf)[8] == 0x00);
}

TEST_CASE("formatted_message round trip, signed prefix and sig input", "[messages]") {
    FormattedMessage f;
    f.msg_id = pattern<16>(0x50);
    f.sender = "alice";
    f.recipient = "bob";
    f.group = "ops";
    f.stamp = GroupStamp{0x0102, pattern<32>(0x70)};
    f.sent_at_ms = 0x0000018A00000001ull;
    f.body = str_bytes("hello, bob");
    Writer w;
    f.encode_unsigned(w);
    Bytes fields = w.take();

    Bytes want{0x01};
    want << pattern<16>(0x50) << std::initializer_list<uint8_t>{0x00, 0x05} << as_bytes("alice");
    want << std::initializer_list<uint8_t>{0x00, 0x03} << as_bytes("bob");
    want << std::initializer_list<uint8_t>{0x00, 0x03} << as_bytes("ops");
    // The group stamp, in group messages only: u64 epoch | head[32].
    want << std::initializer_list<uint8_t>{0, 0, 0, 0, 0, 0, 0x01, 0x02} << pattern<32>(0x70);
    want << std::initializer_list<uint8_t>{0x00, 0x00, 0x01, 0x8A, 0x00, 0x00, 0x00, 0x01};
    want << std::initializer_list<uint8_t>{0x00, 0x00, 0x00, 0x0A} << as_bytes("hello, bob");
    CHECK(fields == want);

    Bytes sig = bytes_of(384, 3);
    Bytes plain = f.encode(sig);
    auto d = FormattedMessage::decode(plain);
    CHECK(d.m == f);
    CHECK(d.signed_len == fields.size());
    CHECK(d.sig == sig);

    for (size_t n = 0; n < plain.size(); ++n)
        CHECK_THROWS_AS(FormattedMessage::decode(ByteView(plain).first(n)), WireError);
    Bytes longer = plain;
    longer.push_back(0);
    CHECK(error_kind([&] { FormattedMessage::decode(longer); }) == WireError::Invalid);
    Bytes v2 = plain;
    v2[0] = 2;
    CHECK(error_kind([&] { FormattedMessage::decode(v2); }) == WireError::Invalid);

    // A direct message has no stamp: the stamp's 40 bytes are not written,
    // and whatever the struct holds there is not read back.
    FormattedMessage dm = f;
    dm.group.clear();
    Writer dw;
    dm.encode_unsigned(dw);
    CHECK(dw.bytes().size() == fields.size() - 3 - 40);
    auto dd = FormattedMessage::decode(dm.encode(sig));
    CHECK(dd.m.stamp == GroupStamp{});

    Bytes wk = bytes_of(80, 1);
    Bytes si = formatted_sig_input(fields, wk);
    Bytes want_si = str_bytes("tacit v2 msg");
    want_si << fields << std::initializer_list<uint8_t>{0x00, 0x00, 0x00, 80} << wk;
    CHECK(si == want_si);
}

TEST_CASE("system entries: enc_msg layout", "[messages]") {
    SystemEntry e{"left carol carol", bytes_of(71, 2)};
    Bytes enc = e.encode();
    Bytes want_enc{0x00, 0x10};
    want_enc << as_bytes("left carol carol") << std::initializer_list<uint8_t>{0x00, 71} << e.sig;
    CHECK(enc == want_enc);
    CHECK(SystemEntry::decode(enc) == e);
    for (size_t n = 0; n < enc.size(); ++n)
        CHECK_THROWS_AS(SystemEntry::decode(ByteView(enc).first(n)), WireError);
    enc.push_back(1);
    CHECK(error_kind([&] { SystemEntry::decode(enc); }) == WireError::Invalid);
}

TEST_CASE("stored item layout", "[messages]") {
    Stored s{0x0102, proto::STORED_SYSTEM, "", "ops", 0x0A0B, {0xEE}, {}};
    Writer w;
    s.encode(w);
    Bytes want{0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x03, 'o', 'p', 's',
               0, 0, 0, 0, 0, 0, 0x0A, 0x0B, 0, 0, 0, 1, 0xEE, 0, 0, 0, 0};
    CHECK(w.bytes() == want);
    CHECK(want.size() == Stored::kMinSize + 3 + 1);
    Reader r(want);
    CHECK(Stored::decode(r) == s);
    CHECK(r.empty());
}

TEST_CASE("names", "[names]") {
    struct Row {
        std::string_view name;
        bool ok;
    };
    const Row rows[] = {
        {"a", true},
        {"alice", true},
        {"carol.x-1_", true},
        {"z0", true},
        {"abcdefghijklmnopqrstuvwxyz012345", true},  // 32
        {"abcdefghijklmnopqrstuvwxyz0123456", false},  // 33
        {"", false},
        {"Alice", false},
        {"aLice", false},
        {"1alice", false},
        {"_alice", false},
        {".alice", false},
        {"-alice", false},
        {"al ice", false},
        {"al/ice", false},
        {"al\nice", false},
        {std::string_view("al\0ice", 6), false},
        {"al\xc3\xa9", false},  // é
    };
    for (const auto& row : rows) {
        INFO("name \"" << row.name << "\"");
        CHECK(valid_name(row.name) == row.ok);
        CHECK(name_problem(row.name).empty() == row.ok);
    }
    CHECK(name_problem("").find("empty") != std::string::npos);
    CHECK(name_problem(std::string(33, 'a')).find("32") != std::string::npos);
    CHECK(name_problem("9lives").find("start") != std::string::npos);
    CHECK(name_problem("a b").find("a space") != std::string::npos);
    CHECK(name_problem("a\x01").find("0x01") != std::string::npos);
}
