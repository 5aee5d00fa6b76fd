import Foundation
import Testing

@testable import BerthTargetLocal

@Suite struct NetworkTests {
  @Test func findsFreePortsAndSeesBusyOnes() throws {
    let port = try #require(PortProbe.findFreePort())
    #expect(PortProbe.isFree(port: port))
    let fd = SocketAddress.tcpSocket()
    defer { close(fd) }
    #expect(SocketAddress.bind(fd, SocketAddress.ipv4(SocketAddress.loopback, port: port)) == 0)
    #expect(listen(fd, 1) == 0)
    #expect(!PortProbe.isFree(port: port))
    #expect(!PortProbe.isFree(port: 0))
    #expect(!PortProbe.isFree(port: 70000))
  }

  @Test func connectionRefusedIsReportedAsConnectError() throws {
    let port = try #require(PortProbe.findFreePort())
    #expect(throws: LoopbackHTTPError.connect(ECONNREFUSED)) { try LoopbackHTTPClient().get(port: port) }
  }

  @Test func parsesSizedAndChunkedResponses() throws {
    let sized = try LoopbackHTTPClient.parse(
      Data("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nHealthy".utf8))
    #expect(sized.status == 200)
    #expect(sized.text == "Healthy")
    #expect(sized.headers["content-type"] == "text/plain")
    let chunked = try LoopbackHTTPClient.parse(
      Data("HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n".utf8))
    #expect(chunked.status == 502)
    #expect(chunked.text == "Wikipedia")
    #expect(throws: LoopbackHTTPError.malformed) { try LoopbackHTTPClient.parse(Data("garbage".utf8)) }
  }
}
