import NameSuggestion
@testable import RegisterMaps
import Testing

@Suite("Did you mean")
struct SuggestionTests {
    @Test func editDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps() {
        #expect(Suggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(Suggestion.editDistance(Array(""), Array("abc")) == 3)
        #expect(Suggestion.editDistance(Array("abc"), Array("abc")) == 0)
        #expect(Suggestion.editDistance(Array("max_curent"), Array("max_current")) == 1)
        #expect(Suggestion.editDistance(Array("unti"), Array("unit")) == 1)
    }

    @Test func nearNamesAreSuggestedFarOnesAreNot() {
        let known = ["max_current", "min_current", "phases"]
        #expect(Suggestion.nearest(to: "max_curent", among: known) == "max_current")
        #expect(Suggestion.nearest(to: "Phasse", among: known) == "phases")
        #expect(Suggestion.nearest(to: "voltage", among: known) == nil)
        // short words: one edit at most
        #expect(Suggestion.nearest(to: "txx", among: ["tcp", "rtu"]) == nil)
        #expect(Suggestion.nearest(to: "tcx", among: ["tcp", "rtu"]) == "tcp")
        #expect(Suggestion.nearest(to: "tpc", among: ["tcp", "rtu"]) == "tcp")
        #expect(Suggestion.didYouMean("pac220", among: ["pac2200", "sdm630"]) == "; did you mean \"pac2200\"?")
        #expect(Suggestion.didYouMean("nope", among: ["pac2200"]) == "")
    }

    @Test func anUnknownFieldNamesTheKnownOnesAndTheNearest() {
        let error = loadError("  current.l1: { address: 1, type: f32, unit: A, descripton: x }")
        #expect(error?.description == "test.yaml:7: quantities.current.l1.descripton: unknown field (known fields here: access, address, byte_order, description, function, length, offset, range, scale, sentinels, type, unit, unit_id, word_order); did you mean \"description\"?")
    }
}
