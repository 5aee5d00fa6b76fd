import BerthModel
import Testing

/// Addresses print, parse and sort by kind the way they always have (their spellings are written out for speed).
@Suite struct ResourceKindTests {
  @Test func prefixesAreTheLowerCasedKindsAndParseBack() {
    for kind in ResourceKind.allCases {
      #expect(kind.addressPrefix == kind.rawValue.lowercased())
      #expect(ResourceAddress(parsing: "\(kind.addressPrefix)/x") == ResourceAddress(kind, "x"))
      #expect(ResourceAddress(kind, "x").description == "\(kind.rawValue.lowercased())/x")
    }
  }

  @Test func kindsSortInDeclarationOrder() {
    #expect(ResourceKind.allCases.shuffled().sorted() == ResourceKind.allCases)
    #expect(ResourceAddress(.model, "z") < ResourceAddress(.service, "a"))
    #expect(ResourceAddress(.service, "a") < ResourceAddress(.service, "b"))
  }
}
