// Usage: node validate-adaptive-card.js NODE_MODULES CARD.json
// Parses the card with Microsoft's Adaptive Cards library and prints every parse and validation event
// (unknown element or action types, missing required properties, unsupported values). Exit 0 when there is none.
const path = require('path');
const fs = require('fs');
const [nodeModules, file] = process.argv.slice(2);
const AC = require(path.join(nodeModules, 'adaptivecards', 'dist', 'adaptivecards.js'));
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const card = new AC.AdaptiveCard();
const context = new AC.SerializationContext();
card.parse(json, context);
const problems = [];
for (let i = 0; i < context.eventCount; i++) {
  const e = context.getEventAt(i);
  problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
}
for (const e of card.validateProperties().validationEvents) {
  problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
}
if (json.version !== '1.4' && json.version !== '1.5') problems.push(`version ${json.version}: Teams renders 1.4/1.5`);
problems.forEach(p => console.log(p));
process.exit(problems.length === 0 ? 0 : 1);
