import Foundation

extension ManagedProcess {
    /// The share of a core the process used over `seconds` (utime + stime from /proc): a bound on
    /// work done, not on how long anything took.
    func cpuShare(over seconds: Double) throws -> Double {
        func used() throws -> Double {
            let fields = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: ")").last!.split(separator: " ")
            return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        let before = try used(), started = Date()
        Thread.sleep(forTimeInterval: seconds)
        return (try used() - before) / Date().timeIntervalSince(started)
    }
}

extension ManagedProcess {
    /// Holds 200 idle TCP connections to `port` of this bridge (started with a low `ulimit -n`)
    /// until it logs `marker`; returns its share of a core over 3 s while out of descriptors, and
    /// the holder (stop it to let the connections go).
    func cpuShareOutOfDescriptors(port: Int, marker: String) throws -> (share: Double, hold: ManagedProcess) {
        // raw TCP connections that send nothing (the Modbus probe's hold works on any port)
        let hold = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("modbus_probe.py"), "hold", "--port", "\(port)",
                                                                   "--count", "200", "--seconds", "8"])
        do {
            try hold.waitFor("opened")
            try waitFor(marker, timeout: .seconds(10))
            return (try cpuShare(over: 3), hold)
        } catch {
            hold.stop()
            throw error
        }
    }
}
