import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
const inline = {
  name: 'sdk-schemas-pure',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/].*[\\/]dist-es[\\/].*schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const consts = new Map();
      for (const m of text.matchAll(/^const (_[A-Za-z0-9_]+) = ("[^"\n]*");$/gm)) consts.set(m[1], m[2]);
      text = text.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (all, name) => (consts.has(name) ? `${consts.get(name)}:` : all));
      return { contents: text, loader: 'js' };
    });
  },
};
const entry = process.argv[2];
const r = await esbuild.build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm', mainFields: ['module', 'main'], outfile: '/tmp/eb/out.mjs', plugins: process.argv[3] ? [inline] : [], metafile: true, logLevel: 'error', banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" } });
const by = {};
for (const [f, i] of Object.entries(Object.values(r.metafile.outputs)[0].inputs)) { const k = f.replace(/^node_modules\/((@[^/]+\/)?[^/]+).*/, '$1'); by[k] = (by[k] || 0) + i.bytesInOutput; }
console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}K`).join(', '));
