import BerthModel
import Testing

@Suite struct SuggestionTests {
  @Test(arguments: [
    ("entry_scrpt", "entry_script"), ("Modle", "Model"), ("conda_fil", "conda_file"), ("Servce", "Service"),
  ])
  func typosFindTheIntendedWord(_ typo: String, _ intended: String) {
    let candidates = ["entry_script", "source_directory", "conda_file", "Model", "Service", "Environment"]
    #expect(Suggestion.closest(to: typo, in: candidates) == intended)
  }

  @Test func unrelatedWordsGetNoSuggestion() {
    #expect(Suggestion.closest(to: "xyz", in: ["entry_script", "port"]) == nil)
  }

  @Test func editDistanceCountsEdits() {
    #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    #expect(Suggestion.editDistance("", "abc") == 3)
    #expect(Suggestion.editDistance("same", "same") == 0)
  }
}
