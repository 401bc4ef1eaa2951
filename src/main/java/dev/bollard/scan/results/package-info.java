/**
 * Scanning on push and the stored results (docs/scanning.md, "Scanning on push"): a push enqueues a scan of each
 * image manifest it stores ({@link dev.bollard.scan.results.ScanQueue}, in the push's transaction); a worker on any
 * node indexes and matches it and stores its state, inventory, findings and grade ({@link
 * dev.bollard.scan.results.ImageScanner}), with its SBOMs as OCI referrers of the image ({@link
 * dev.bollard.scan.results.SbomReferrers}); after new vulnerability data, {@link dev.bollard.scan.results.Rematcher}
 * matches again the stored inventories whose packages it changed and publishes what it newly found.
 * {@link dev.bollard.scan.results.ScanResults} reads the results for the API and the CLI.
 */
package dev.bollard.scan.results;
