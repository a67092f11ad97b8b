// Keeps deltacast_test_support a non-empty library until the shared test helpers land.
namespace deltacast::test_support {
void support_placeholder() {}
} // namespace deltacast::test_support
