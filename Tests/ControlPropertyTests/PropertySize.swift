import Foundation

/// How many random cases a property test runs: its base count times `CB_PROPERTY_SCALE`
/// (default 1; `scripts/test.sh --long` sets 4). The seed stays fixed, so a larger run
/// replays every case of a smaller one first.
enum PropertySize {
    static let scale = ProcessInfo.processInfo.environment["CB_PROPERTY_SCALE"].flatMap(Double.init).map { max(0.01, $0) } ?? 1

    static func cases(_ base: Int) -> Int { max(1, Int((Double(base) * scale).rounded())) }
}
