#include "common/grpc/unix_socket_server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "echo.grpc.pb.h"

namespace sigil::grpcutil {
namespace {

using ::testing::HasSubstr;

class EchoService : public sigil::test::Echo::CallbackService {
 public:
  const UnixSocketServer* server = nullptr;

  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* ctx,
                                   const sigil::test::WhoAmIRequest*,
                                   sigil::test::WhoAmIResponse* resp) override {
    if (auto peer = server->PeerOf(*ctx)) {
      resp->set_pid(peer->pid);
      resp->set_uid(static_cast<int32_t>(peer->uid));
      resp->set_gid(static_cast<int32_t>(peer->gid));
      resp->set_known(true);
    }
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class UnixSocketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sigil-sock-XXXXXX";
    dir_ = mkdtemp(tmpl);
    // Other users must be able to reach the socket file for the cross-uid tests.
    chmod(dir_.c_str(), 0755);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(mode_t mode) {
    auto server = UnixSocketServer::Start({.path = path(), .mode = mode}, {&service_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    service_.server = server_.get();
  }

  std::string path() const { return dir_ + "/api.sock"; }

  sigil::test::WhoAmIResponse CallSelf() {
    auto channel = grpc::CreateChannel("unix://" + path(), grpc::InsecureChannelCredentials());
    auto stub = sigil::test::Echo::NewStub(channel);
    grpc::ClientContext ctx;
    sigil::test::WhoAmIResponse resp;
    grpc::Status status = stub->WhoAmI(&ctx, {}, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  // Calls WhoAmI from a Python grpcio client running as the user "nobody" and returns its
  // output: "uid pid" as the server saw them, or "error <code>".
  std::string CallAsNobody() {
    const std::string script = dir_ + "/client.py";
    std::ofstream(script) << R"(
import grpc, sys
def varints(b):
    out, i = {}, 0
    while i < len(b):
        key = b[i]; i += 1
        v, shift = 0, 0
        while True:
            c = b[i]; i += 1
            v |= (c & 0x7f) << shift; shift += 7
            if c < 0x80: break
        out[key >> 3] = v
    return out
ch = grpc.insecure_channel("unix://" + sys.argv[1])
call = ch.unary_unary("/sigil.test.Echo/WhoAmI")
try:
    resp = varints(call(b"", timeout=5))
    print(resp.get(2, 0), resp.get(1, 0), resp.get(4, 0))
except grpc.RpcError as e:
    print("error", e.code().name)
)";
    chmod(script.c_str(), 0644);
    const std::string cmd = "setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 " +
                            script + " " + path() + " 2>/dev/null";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[256];
    while (p != nullptr && fgets(buf, sizeof(buf), p) != nullptr) {
      out += buf;
    }
    if (p != nullptr) {
      pclose(p);
    }
    return out;
  }

  std::string dir_;
  EchoService service_;
  std::unique_ptr<UnixSocketServer> server_;
};

TEST_F(UnixSocketServerTest, ReportsTheCallersCredentials) {
  StartServer(0600);
  auto resp = CallSelf();
  EXPECT_TRUE(resp.known());
  EXPECT_EQ(resp.pid(), getpid());
  EXPECT_EQ(static_cast<uid_t>(resp.uid()), getuid());
  EXPECT_EQ(static_cast<gid_t>(resp.gid()), getgid());
}

TEST_F(UnixSocketServerTest, SetsTheRequestedMode) {
  StartServer(0600);
  struct stat st;
  ASSERT_EQ(stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UnixSocketServerTest, SeesAnotherUserAsThatUser) {
  if (getuid() != 0) {
    GTEST_SKIP() << "needs root to run a client as another user";
  }
  StartServer(0666);
  const std::string out = CallAsNobody();
  EXPECT_THAT(out, ::testing::StartsWith("65534 ")) << out;
  EXPECT_THAT(out, ::testing::EndsWith(" 1\n")) << out;
}

TEST_F(UnixSocketServerTest, OwnerOnlySocketRefusesOtherUsers) {
  if (getuid() != 0) {
    GTEST_SKIP() << "needs root to run a client as another user";
  }
  StartServer(0600);
  EXPECT_THAT(CallAsNobody(), HasSubstr("error UNAVAILABLE"));
}

TEST_F(UnixSocketServerTest, ReplacesAStaleSocket) {
  StartServer(0600);
  server_.reset();
  // Leave a socket file behind with nobody listening, as a killed process would.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  StartServer(0600);
  EXPECT_TRUE(CallSelf().known());
}

TEST_F(UnixSocketServerTest, RefusesASocketInUse) {
  StartServer(0600);
  EchoService other;
  auto second = UnixSocketServer::Start({.path = path()}, {&other});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another process"));
}

TEST_F(UnixSocketServerTest, RefusesAPathThatIsNotASocket) {
  std::ofstream(path()) << "data";
  auto server = UnixSocketServer::Start({.path = path()}, {&service_});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("is not a socket"));
}

TEST_F(UnixSocketServerTest, RemovesTheSocketOnShutdown) {
  StartServer(0600);
  server_->Shutdown();
  EXPECT_FALSE(std::filesystem::exists(path()));
}

}  // namespace
}  // namespace sigil::grpcutil
