// The Nest CLI's rspack defaults, with one addition: `node:sqlite` (the
// budgets' store) is one of Node's own modules, newer than rspack's list of
// them, so it is named here as external, imported at run time as it is.
export default (defaults) => ({
  externals: [...defaults.externals, { 'node:sqlite': 'module node:sqlite' }],
});
