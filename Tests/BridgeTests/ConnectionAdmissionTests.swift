import Modbus
import Testing

/// Who waits beside the masters of an exclusive Modbus listener (`ConnectionAdmission`).
struct ConnectionAdmissionTests {
    typealias Waiting = ConnectionAdmission.Waiting

    static func readers(_ count: Int, from first: Int32 = 100) -> [Waiting] {
        (0..<count).map { Waiting(id: first + Int32($0), opened: UInt64(first) + UInt64($0), mayWrite: false) }
    }

    @Test func readersNeverPushOutAConnectionThatMayWrite() {
        let writer = Waiting(id: 7, opened: 1, mayWrite: true)   // the oldest of all
        let waiting = [writer] + Self.readers(8)
        // a flood of readers: the oldest reader gives way, never the writer
        #expect(ConnectionAdmission.decide(newcomerMayWrite: false, waiting: waiting, maxReaders: 8, everyoneMayWrite: false) == .admit(evicting: 100))
        // a reconnecting energy manager finds its reserved slot whatever the readers do
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: waiting, maxReaders: 8, everyoneMayWrite: false) == .admit(evicting: nil))
    }

    @Test func theWriterPoolIsBoundedToo() {
        let writers = (0..<Int32(ConnectionAdmission.writerSlots)).map { Waiting(id: 10 + $0, opened: 50 - UInt64($0), mayWrite: true) }
        let waiting = writers + Self.readers(2)
        let oldestWriter = writers.min { $0.opened < $1.opened }!.id
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: waiting, maxReaders: 8, everyoneMayWrite: false) == .admit(evicting: oldestWriter))
    }

    @Test func maxReadersZeroServesNoReader() {
        #expect(ConnectionAdmission.decide(newcomerMayWrite: false, waiting: [], maxReaders: 0, everyoneMayWrite: false) == .refuse)
        // those who may write still get in
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: [], maxReaders: 0, everyoneMayWrite: false) == .admit(evicting: nil))
    }

    @Test func withoutAllowWriteEveryoneWaitsInOnePool() {
        let waiting = Self.readers(3).map { Waiting(id: $0.id, opened: $0.opened, mayWrite: true) }
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: waiting, maxReaders: 3, everyoneMayWrite: true) == .admit(evicting: 100))
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: waiting, maxReaders: 4, everyoneMayWrite: true) == .admit(evicting: nil))
        // one connection may always wait to write, or nobody could ever become master
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: [], maxReaders: 0, everyoneMayWrite: true) == .admit(evicting: nil))
        #expect(ConnectionAdmission.decide(newcomerMayWrite: true, waiting: Array(waiting.prefix(1)), maxReaders: 0, everyoneMayWrite: true) == .admit(evicting: 100))
    }
}
