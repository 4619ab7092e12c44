// esbuild plugins for the Lambda bundles (serverless-esbuild loads this file with require).
//
// sdk-schemas-tree-shakeable: the AWS SDK's clients describe every operation's shapes in one
// `dist-es/schemas/schemas_0.js` (EC2's is 1.3 MB). Its objects use computed keys
// (`{ [_xN]: "…" }`, `_xN` a string constant), which esbuild cannot prove free of side
// effects, so it keeps every schema of the service — a step calling three EC2 operations
// carried all ~3,400 (aws/aws-sdk-js-v3#7607). Writing each such key as the string it names
// changes nothing at run time and lets esbuild drop the shapes the bundle never reaches.
const { readFile } = require('node:fs/promises');

const sdkSchemasTreeShakeable = {
  name: 'sdk-schemas-tree-shakeable',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/].+[\\/]dist-es[\\/](.+[\\/])?schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const strings = new Map();
      for (const m of source.matchAll(/^const (_[A-Za-z0-9_]+) = ("[^"\\\n]*");$/gm)) strings.set(m[1], m[2]);
      const contents = source.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (key, name) => (strings.has(name) ? `${strings.get(name)}:` : key));
      return { contents, loader: 'js' };
    });
  },
};

module.exports = [sdkSchemasTreeShakeable];
