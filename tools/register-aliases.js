// Resolves the @dropline/<lib> path aliases for the built apps when they run as plain
// `node` processes: swc and tsc copy the import specifiers verbatim, so without this hook
// `require('@dropline/domain')` would look in node_modules and fail.
'use strict';
const Module = require('module');
const path = require('path');

const distRoot = path.resolve(__dirname, '..', 'dist');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveDroplineAlias(request, parent, ...rest) {
  if (request.startsWith('@dropline/')) {
    const [, lib, ...sub] = request.split('/');
    const target = sub.length === 0
      ? path.join(distRoot, 'libs', lib, 'src', 'index.js')
      : path.join(distRoot, 'libs', lib, 'src', ...sub);
    return original.call(this, target, parent, ...rest);
  }
  return original.call(this, request, parent, ...rest);
};
