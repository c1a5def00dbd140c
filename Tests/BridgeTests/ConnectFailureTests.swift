import Foundation
import Modbus
import Testing

/// What a failed TCP connect to a device reads like; built from values, no traffic is sent.
@Suite("Connect failures")
struct ConnectFailureTests {
    @Test func aTCPConnectThatFailsSaysWhatItMeans() {
        let timedOut = ConnectFailure.error(host: "192.0.2.20", port: 502, code: EINPROGRESS, timeout: .seconds(1), text: "Operation now in progress")
        #expect(timedOut.description == "no answer from 192.0.2.20:502 within 1.0 s (host down or port closed?)")
        let slow = ConnectFailure.error(host: "fe80::1", port: 1502, code: ETIMEDOUT, timeout: .milliseconds(250), text: "Connection timed out")
        #expect(slow.description == "no answer from [fe80::1]:1502 within 0.25 s (host down or port closed?)")
        let refused = ConnectFailure.error(host: "127.0.0.1", port: 1, code: ECONNREFUSED, timeout: .seconds(1), text: "Connection refused")
        #expect(refused.description == "connection refused by 127.0.0.1:1 (nothing listens on that port?)")
        let other = ConnectFailure.error(host: "10.0.0.9", port: 502, code: EHOSTUNREACH, timeout: .seconds(1), text: "No route to host")
        #expect(other.description == "connection failed: tcp://10.0.0.9:502: No route to host")
        #expect(refused.kind == "connection" && refused.needsReconnect)
    }
}
