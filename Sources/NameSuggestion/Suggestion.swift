/// "did you mean …?" for a name that is not one of the known ones: the closest known name by edit
/// distance, if it is close enough to be a typo rather than a different word.
public enum Suggestion {
    /// The known name nearest to `word` (ignoring case), or nil when none is near: at most 2 edits,
    /// 1 for words of up to 4 characters (where 2 edits make almost anything match anything).
    /// Ties go to the first in `known`.
    public static func nearest(to word: String, among known: some Sequence<String>) -> String? {
        let typed = Array(word.lowercased())
        let allowed = typed.count <= 4 ? 1 : 2
        var best: (name: String, distance: Int)?
        for name in known where name != word {
            let distance = editDistance(typed, Array(name.lowercased()))
            if distance <= allowed, distance < best?.distance ?? .max { best = (name, distance) }
        }
        return best?.name
    }

    /// `; did you mean "X"?` to append to an error, or "" when nothing known is near.
    public static func didYouMean(_ word: String, among known: some Sequence<String>) -> String {
        nearest(to: word, among: known).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    /// Levenshtein distance (insertions, deletions, substitutions) where swapping two neighbours
    /// also counts as one edit: "unti" is one typo away from "unit", not two.
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var rows = [Array(0...b.count)]
        for i in 1...a.count {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { row[j] = min(row[j], rows[i - 2][j - 2] + 1) }
            }
            rows.append(row)
        }
        return rows[a.count][b.count]
    }
}
