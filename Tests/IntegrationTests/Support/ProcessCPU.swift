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
