// The crypto pool's helpers (srv/crypto_pool.hpp): run_later never runs a
// continuation on its caller's stack, with or without workers, and the
// per-thread key cache answers as a fresh parse would, and the fresh parse
// as the cache.
#include <catch2/catch.hpp>

#include <chrono>

#include "shared/keys.hpp"
#include "srv/crypto_pool.hpp"

using namespace tacit;
using namespace tacit::srv;
using namespace std::chrono_literals;

TEST_CASE("CryptoPool::run_later: the continuation runs in a later pass, on the loop, with no workers and with two",
          "[crypto_pool]") {
    const auto id = ServerIdentity::generate();
    for (unsigned threads : {0u, 2u}) {
        EventLoop loop;
        CryptoPool pool(loop, id, threads);
        bool job_ran = false, done_ran = false, returned = false;
        pool.run_later([&](const ServerIdentity&) -> CryptoPool::Done {
            job_ran = true;
            return [&] {
                CHECK(returned);  // never on run_later's own stack
                done_ran = true;
                loop.stop();
            };
        });
        returned = true;
        CHECK_FALSE(done_ran);
        loop.add_timer(5000ms, [&] { loop.stop(); });  // only if the post never comes
        loop.run();
        CHECK(job_ran);
        CHECK(done_ran);
    }
}

TEST_CASE("verify_with_cached_key: a cached key still tells good signatures from bad, per key", "[crypto_pool]") {
    const auto a = UserIdentity::generate(), b = UserIdentity::generate();
    const Bytes in(100, 0x5a), other(100, 0x5b);
    const auto sig_a = a.sign.sign(in);
    const auto der_a = a.sign.public_der(), der_b = b.sign.public_der();
    for (int round = 0; round < 3; ++round) {  // the first parses, the rest hit the cache
        CHECK(verify_with_cached_key(der_a, in, sig_a));
        CHECK_FALSE(verify_with_cached_key(der_a, other, sig_a));
        CHECK_FALSE(verify_with_cached_key(der_b, in, sig_a));
    }
    CHECK_FALSE(verify_with_cached_key(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, in, sig_a));
}

TEST_CASE("verify_with_fresh_key answers as the cached parse does, and refuses a key that does not parse",
          "[crypto_pool]") {
    const auto a = UserIdentity::generate();
    const Bytes in(100, 0x5a), other(100, 0x5b);
    const auto sig_a = a.sign.sign(in);
    const auto der_a = a.sign.public_der();
    for (int round = 0; round < 2; ++round) {
        CHECK(verify_with_fresh_key(der_a, in, sig_a) == verify_with_cached_key(der_a, in, sig_a));
        CHECK(verify_with_fresh_key(der_a, in, sig_a));
        CHECK_FALSE(verify_with_fresh_key(der_a, other, sig_a));
    }
    CHECK_FALSE(verify_with_fresh_key(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, in, sig_a));
}
