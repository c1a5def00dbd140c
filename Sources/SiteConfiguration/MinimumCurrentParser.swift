import RegisterMaps

/// `min_current`: one value, or per phase count `{ one_phase: 8, three_phase: 13 }` — ZE Ready /
/// EV Ready (Schneider EV Charging Expert §1.1.1.1, Vestel EVC08 §16.2.1.2.2).
public enum MinimumCurrentParser {
    /// The one-phase minimum and, when it differs, the three-phase one.
    public static func parse(_ node: YAMLNode) throws(DataFileError) -> (onePhase: Int, threePhase: Int?) {
        guard node.isMapping else { return (try node.integer(in: 6...80), nil) }
        var fields = try node.fields()
        let one = try fields.required("one_phase").integer(in: 6...80)
        let three = try fields.optional("three_phase")?.integer(in: 6...80)
        try fields.finish()
        return (one, three)
    }
}
