// Unix socket plumbing: endpoints, the listening socket file's life (mode,
// stale file replaced, live server and non-socket refused, removed on
// exit), connect errors and peer credentials.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "shared/net.hpp"
#include "shared/unix_socket.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace tacit;
using tacit::test::TempDir;

namespace {

bool exists(const std::string& p) {
    struct stat st{};
    return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("parse_endpoint takes unix:PATH or HOST:PORT and prints it back the same") {
    auto u = parse_endpoint("unix:/run/tacit/tacitd.sock", 7700);
    REQUIRE(u);
    REQUIRE(std::holds_alternative<UnixPath>(*u));
    CHECK(std::get<UnixPath>(*u).path == "/run/tacit/tacitd.sock");
    CHECK(to_string(*u) == "unix:/run/tacit/tacitd.sock");
    auto rel = parse_endpoint("unix:data/tacitd.sock", 7700);
    REQUIRE(rel);
    CHECK(to_string(*rel) == "unix:data/tacitd.sock");
    auto t = parse_endpoint("[::1]:7701", 7700);
    REQUIRE(t);
    REQUIRE(std::holds_alternative<HostPort>(*t));
    CHECK(to_string(*t) == "[::1]:7701");
    CHECK(to_string(*parse_endpoint("example.org", 7700)) == "example.org:7700");
    CHECK_FALSE(parse_endpoint("unix:", 7700));
    CHECK_FALSE(parse_endpoint("", 7700));
    CHECK_FALSE(parse_endpoint("host:99999", 7700));
}

TEST_CASE("listen_unix: mode 0666, connectable, credentials, removed when done") {
    TempDir d("unixsock");
    std::string path = d.path + "/s.sock";
    {
        auto l = listen_unix(path);
        struct stat st{};
        REQUIRE(::lstat(path.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 0777) == 0666);
        CHECK_FALSE(exists(path + "." + std::to_string(getpid()) + ".new"));
        auto c = connect_endpoint(UnixPath{path}, 2000);
        Acceptor acc(std::move(l.fd));
        std::optional<UniqueFd> s;
        for (int i = 0; i < 200 && !s; ++i) {
            s = acc.accept_one();
            if (!s) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        REQUIRE(s);
        auto cred = peer_cred(s->get());
        REQUIRE(cred);
        CHECK(cred->uid == getuid());
        CHECK(cred->pid == getpid());
    }
    CHECK_FALSE(exists(path));
    CHECK_THROWS_WITH(connect_unix(path, 1000), "no server socket at unix:" + path);
}

TEST_CASE("listen_unix replaces a stale socket, refuses a live one and a non-socket") {
    TempDir d("unixstale");
    std::string path = d.path + "/s.sock";
    {
        // A crashed server's socket: the file stays, nobody listens.
        UniqueFd dead(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        path.copy(a.sun_path, path.size());
        REQUIRE(::bind(dead.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
        dead.reset();
        CHECK(exists(path));
        CHECK_THROWS_WITH(connect_unix(path, 1000), "connection refused: unix:" + path);
    }
    auto live = listen_unix(path);
    CHECK_NOTHROW(connect_unix(path, 1000));
    CHECK_THROWS_WITH(listen_unix(path), Catch::Contains("another server is listening there"));
    CHECK(exists(path));  // the refused attempt left the live socket alone
    {
        // Another server took over the name: ours must not remove its socket.
        SocketFile mine = std::move(live.file);
        REQUIRE(::unlink(path.c_str()) == 0);
        auto other = listen_unix(path);
        mine.remove();
        CHECK(exists(path));
    }
    std::string plain = d.path + "/plain";
    std::ofstream(plain) << "not a socket\n";
    CHECK_THROWS_WITH(listen_unix(plain), Catch::Contains("exists and is not a socket"));
    CHECK(exists(plain));
    CHECK_THROWS_WITH(listen_unix(d.path + "/" + std::string(120, 'x')), Catch::Contains("a socket path must be"));
}
