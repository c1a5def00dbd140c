/// A tree of zones (switchboards), at most three levels, each with a per-phase limit that holds
/// for everything below it [SPEC §6.3].
public struct ZoneTree: Sendable {
    public struct Zone: Sendable, Equatable {
        public var id: String
        public var parent: Int?
        /// Maximum current per grid phase, amperes.
        public var limit: [Double]
        public init(id: String, parent: Int? = nil, limit: [Double]) {
            self.id = id
            self.parent = parent
            self.limit = limit
        }
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case parentAfterChild(String)
        case tooDeep(String)
        case aboveParent(String, phase: Int)
        public var description: String {
            switch self {
            case .parentAfterChild(let id): "zone \(id): its parent must be listed before it"
            case .tooDeep(let id): "zone \(id): zones nest at most three levels deep"
            case .aboveParent(let id, let phase): "zone \(id): limit on L\(phase + 1) is above its parent's"
            }
        }
    }

    public let zones: [Zone]
    /// For each zone, itself and its ancestors (leaf first).
    public let paths: [[Int]]

    /// Just the site fuse: one zone, nothing to validate.
    init(site: Zone) {
        zones = [site]
        paths = [[0]]
    }

    /// - Parameter maxDepth: 3 for configured trees; the bridge adds the site's main fuse above them.
    public init(_ zones: [Zone], maxDepth: Int = 3) throws(Problem) {
        var paths: [[Int]] = []
        for (index, zone) in zones.enumerated() {
            guard let parent = zone.parent else { paths.append([index]); continue }
            guard parent >= 0, parent < index else { throw .parentAfterChild(zone.id) }
            let path = [index] + paths[parent]
            guard path.count <= maxDepth else { throw .tooDeep(zone.id) }
            for phase in 0..<3 where zone.limit[phase] > zones[parent].limit[phase] { throw .aboveParent(zone.id, phase: phase) }
            paths.append(path)
        }
        self.zones = zones
        self.paths = paths
    }
}
