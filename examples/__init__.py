"""Programs that use ccprovider as a library, each a Pulumi project of its own."""
