// tui/client/paths: where the client keeps its data and the rule that the
// place is private (tacit(1) FILES), on real directories; and
// shared/no_core, checked in a child process so the test runner keeps its
// own core-dump settings.
#include <catch2/catch.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "shared/no_core.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/paths.hpp"
#include "tui/client/replace_file.hpp"

using namespace tacit;

namespace {
// Sets or unsets an environment variable for one scope.
struct EnvVar {
    std::string name;
    std::optional<std::string> old;
    EnvVar(const char* n, const char* v) : name(n) {
        if (const char* o = std::getenv(n)) old = o;
        if (v) ::setenv(n, v, 1);
        else ::unsetenv(n);
    }
    ~EnvVar() {
        if (old) ::setenv(name.c_str(), old->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
};
}  // namespace

TEST_CASE("paths: no HOME and no XDG_DATA_HOME means no data directory, never /tmp", "[paths]") {
    EnvVar h("HOME", nullptr), x("XDG_DATA_HOME", nullptr), c("XDG_CONFIG_HOME", nullptr);
    CHECK_THROWS_WITH(client::data_home(), Catch::Contains("no private data directory"));
    CHECK(client::config_home().empty());
    EnvVar rel("HOME", "relative/home");
    CHECK_THROWS(client::data_home());
}

TEST_CASE("paths: XDG_DATA_HOME wins over HOME; a relative one is ignored", "[paths]") {
    EnvVar h("HOME", "/home/u"), x("XDG_DATA_HOME", "/data");
    CHECK(client::data_home() == "/data/tacit");
    EnvVar x2("XDG_DATA_HOME", "data");
    CHECK(client::data_home() == "/home/u/.local/share/tacit");
}

TEST_CASE("paths: a data directory must be ours and private", "[paths]") {
    test::TempDir t("paths");  // mkdtemp: 0700, under /tmp (sticky)
    const auto d = t.path + "/a/tacit";
    CHECK(client::private_data_dir(d) == d);
    struct stat st{};
    REQUIRE(::stat(d.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(client::why_not_private(d).empty());

    SECTION("writable by group or others") {
        ::chmod(d.c_str(), 0770);
        CHECK_THAT(client::why_not_private(d), Catch::Contains("writable by group or others (mode 0770)"));
        CHECK_THROWS_WITH(client::private_data_dir(d), Catch::Contains("refusing"));
        ::chmod(d.c_str(), 0757);
        CHECK_FALSE(client::why_not_private(d).empty());
    }
    SECTION("readable by others is the user's choice; writable is not") {
        ::chmod(d.c_str(), 0755);
        CHECK(client::why_not_private(d).empty());
    }
    SECTION("a directory above it that others may write, unless sticky") {
        const auto up = t.path + "/a";
        ::chmod(up.c_str(), 0777);
        CHECK_THAT(client::why_not_private(d), Catch::Contains(up + " is writable"));
        ::chmod(up.c_str(), 01777);
        CHECK(client::why_not_private(d).empty());
    }
    SECTION("a symbolic link") {
        const auto link = t.path + "/link";
        REQUIRE(::symlink(d.c_str(), link.c_str()) == 0);
        CHECK_THAT(client::why_not_private(link), Catch::Contains("symbolic link"));
    }
    SECTION("not a directory, or not absolute") {
        std::ofstream(t.path + "/file") << "x";
        CHECK_THAT(client::why_not_private(t.path + "/file"), Catch::Contains("not a directory"));
        CHECK_FALSE(client::why_not_private("relative").empty());
    }
}

TEST_CASE("replace_file: explicit mode, and a planted link at the temporary name is not followed", "[paths]") {
    test::TempDir t("replace");
    const auto f = t.path + "/identity.pub", victim = t.path + "/victim";
    std::ofstream(victim) << "keep";
    REQUIRE(::symlink(victim.c_str(), (f + ".tmp").c_str()) == 0);
    const mode_t old = ::umask(0);
    client::replace_file(f, as_bytes("one\n"), 0600);
    ::umask(old);
    struct stat st{};
    REQUIRE(::lstat(f.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);
    std::string s;
    std::getline(std::ifstream(victim), s);
    CHECK(s == "keep");
    client::replace_file(f, as_bytes("two\n"), 0644);
    std::getline(std::ifstream(f), s);
    CHECK(s == "two");
    // No temporary file is left behind.
    size_t files = 0;
    for (auto& e : std::filesystem::directory_iterator(t.path)) {
        (void)e;
        ++files;
    }
    CHECK(files == 3);  // identity.pub, victim and the planted link
}

TEST_CASE("replace_file: two processes replacing one file at once both succeed", "[paths]") {
    test::TempDir t("replace-race");
    const auto f = t.path + "/known_servers";
    auto writer = [&](const char* text) {
        pid_t pid = ::fork();
        if (pid == 0) {
            try {
                for (int i = 0; i < 300; ++i) client::replace_file(f, as_bytes(text), 0600);
            } catch (...) {
                ::_exit(1);
            }
            ::_exit(0);
        }
        return pid;
    };
    pid_t a = writer("a\n"), b = writer("b\n");
    REQUIRE(a > 0);
    REQUIRE(b > 0);
    int sa = -1, sb = -1;
    ::waitpid(a, &sa, 0);
    ::waitpid(b, &sb, 0);
    CHECK((WIFEXITED(sa) && WEXITSTATUS(sa) == 0));
    CHECK((WIFEXITED(sb) && WEXITSTATUS(sb) == 0));
    std::string s;
    std::getline(std::ifstream(f), s);
    CHECK((s == "a" || s == "b"));
}

TEST_CASE("disable_core_dumps: RLIMIT_CORE 0 and not dumpable", "[paths][core]") {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::prctl(PR_GET_DUMPABLE) != 1) ::_exit(10);  // a test of nothing otherwise
        if (!disable_core_dumps().empty()) ::_exit(11);
        rlimit rl{};
        if (::getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0) ::_exit(12);
        if (::prctl(PR_GET_DUMPABLE) != 0) ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
