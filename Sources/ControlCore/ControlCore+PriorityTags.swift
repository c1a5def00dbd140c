import EnergyControl

extension ControlCore {
    /// The local list's priority tags (they change at run time, with the list).
    public mutating func setListPriorityTags(_ tags: Set<String>) {
        controller.load?.listPriorityTags = tags
    }
}
