# Fails with MESSAGE: stands in for a check that cannot run, so that it fails rather than passes.
message(FATAL_ERROR "${MESSAGE}")
