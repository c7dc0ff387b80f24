// Word embeddings by skip-gram with negative sampling (word2vec) on two Jane Austen novels
// (data/austen.txt): a vocabulary of the most frequent words, subsampling of frequent words, a
// dynamic context window and negatives drawn from the unigram distribution to the 3/4. Prints the
// nearest neighbours of probe words by cosine similarity, answers analogies, measures how much
// more similar known related pairs are than random pairs (against random vectors), and draws the
// most frequent words' embeddings projected on their two principal components.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "autograd/autograd.hpp"
#include "common/cli.hpp"
#include "common/format.hpp"
#include "common/plot.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using namespace xgrad::examples;
namespace fs = std::filesystem;

namespace {

struct Config {
  std::string data = std::string(XGRAD_DATA_DIR) + "/austen.txt";
  std::size_t vocab = 3000;
  std::size_t max_tokens = 0;  // 0: the whole text
  std::size_t dim = 50;
  std::size_t window = 4;
  std::size_t negatives = 5;
  std::size_t epochs = 3;
  std::size_t batch_size = 1024;
  double lr = 0.01;
  double subsample = 1e-3;
  std::size_t plot_words = 70;
  double check = -1;  // fail (exit 2) when the related-pair margin is below this
  std::uint64_t seed = 0;
  std::string out = "out/word_embeddings";
  bool quiet = false;
};

// Lower-case words of letters (and inner apostrophes) in reading order.
std::vector<std::string> tokenize(const std::string& path, std::size_t max_tokens) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> words;
  std::string word;
  char ch;
  auto flush = [&] {
    while (!word.empty() && word.back() == '\'') word.pop_back();
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  while (in.get(ch) && (max_tokens == 0 || words.size() < max_tokens)) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalpha(u)) {
      word += static_cast<char>(std::tolower(u));
    } else if (ch == '\'' && !word.empty()) {
      word += ch;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

struct Vocabulary {
  std::vector<std::string> words;  // by decreasing count
  std::vector<double> counts;
  std::unordered_map<std::string, std::size_t> index;
  long find(const std::string& w) const {
    auto it = index.find(w);
    return it == index.end() ? -1 : static_cast<long>(it->second);
  }
};

Vocabulary build_vocabulary(const std::vector<std::string>& tokens, std::size_t size) {
  std::unordered_map<std::string, double> counts;
  for (const std::string& t : tokens) counts[t] += 1;
  std::vector<std::pair<std::string, double>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Vocabulary v;
  for (std::size_t i = 0; i < std::min(size, sorted.size()); ++i) {
    v.index[sorted[i].first] = i;
    v.words.push_back(sorted[i].first);
    v.counts.push_back(sorted[i].second);
  }
  return v;
}

// Rows of a (V, D) matrix scaled to unit length.
std::vector<std::vector<double>> unit_rows(const Tensor& weight) {
  const std::vector<double> w = values(weight);
  const std::size_t d = weight.size(1);
  std::vector<std::vector<double>> rows(weight.size(0), std::vector<double>(d));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j) norm += w[r * d + j] * w[r * d + j];
    norm = std::sqrt(norm) + 1e-12;
    for (std::size_t j = 0; j < d; ++j) rows[r][j] = w[r * d + j] / norm;
  }
  return rows;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t j = 0; j < a.size(); ++j) s += a[j] * b[j];
  return s;
}

// The k words whose unit vectors are closest to `query` by cosine, skipping `exclude`.
std::vector<std::pair<std::string, double>> nearest(const Vocabulary& v,
                                                    const std::vector<std::vector<double>>& e,
                                                    const std::vector<double>& query,
                                                    const std::vector<long>& exclude,
                                                    std::size_t k) {
  std::vector<std::pair<double, std::size_t>> scored;
  for (std::size_t r = 0; r < e.size(); ++r) {
    if (std::find(exclude.begin(), exclude.end(), static_cast<long>(r)) != exclude.end()) continue;
    scored.emplace_back(dot(e[r], query), r);
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(std::min(k, scored.size())),
                    scored.end(), std::greater<>());
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t i = 0; i < std::min(k, scored.size()); ++i) {
    out.emplace_back(v.words[scored[i].second], scored[i].first);
  }
  return out;
}

// Pairs of words that the text relates (family, titles, pronouns, the sisters, times of day).
const std::vector<std::pair<std::string, std::string>> kRelated = {
    {"he", "she"},         {"his", "her"},         {"him", "her"},          {"mr", "mrs"},
    {"sister", "brother"}, {"mother", "father"},   {"sisters", "brothers"}, {"aunt", "uncle"},
    {"daughter", "son"},   {"daughters", "sons"},  {"morning", "evening"},  {"week", "month"},
    {"elizabeth", "jane"}, {"elinor", "marianne"}, {"lady", "sir"},         {"wife", "husband"},
    {"happy", "glad"},     {"two", "three"},       {"said", "replied"},     {"letter", "note"},
    {"could", "would"},    {"was", "were"},        {"miss", "mrs"},         {"her", "their"}};

// The mean cosine of the related pairs found in the vocabulary minus the mean cosine of `samples`
// random pairs of vocabulary words: how much closer related words are than words at random.
double related_margin(const Vocabulary& v, const std::vector<std::vector<double>>& e,
                      std::size_t* found, Generator& generator, std::size_t samples = 2000) {
  double related = 0;
  std::size_t n = 0;
  for (const auto& [a, b] : kRelated) {
    const long i = v.find(a), j = v.find(b);
    if (i < 0 || j < 0) continue;
    related += dot(e[static_cast<std::size_t>(i)], e[static_cast<std::size_t>(j)]);
    ++n;
  }
  double random = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    const auto i = static_cast<std::size_t>(generator.uniform() * static_cast<double>(e.size()));
    const auto j = static_cast<std::size_t>(generator.uniform() * static_cast<double>(e.size()));
    random += dot(e[i], e[j == i ? (j + 1) % e.size() : j]);
  }
  if (found) *found = n;
  return (n ? related / static_cast<double>(n) : 0.0) - random / static_cast<double>(samples);
}

// The first two principal components of the rows `ids` of e, by power iteration on the covariance.
std::vector<std::pair<double, double>> pca_2d(const std::vector<std::vector<double>>& e,
                                              const std::vector<std::size_t>& ids) {
  const std::size_t d = e[0].size();
  std::vector<double> mean(d, 0);
  for (std::size_t id : ids) {
    for (std::size_t j = 0; j < d; ++j) mean[j] += e[id][j] / static_cast<double>(ids.size());
  }
  std::vector<std::vector<double>> cov(d, std::vector<double>(d, 0));
  for (std::size_t id : ids) {
    for (std::size_t a = 0; a < d; ++a) {
      for (std::size_t b = 0; b < d; ++b) cov[a][b] += (e[id][a] - mean[a]) * (e[id][b] - mean[b]);
    }
  }
  std::vector<std::vector<double>> components;
  for (int c = 0; c < 2; ++c) {
    std::vector<double> v(d, 1.0 / std::sqrt(static_cast<double>(d)));
    v[c] += 0.5;
    for (int it = 0; it < 300; ++it) {
      std::vector<double> w(d, 0);
      for (std::size_t a = 0; a < d; ++a) w[a] = dot(cov[a], v);
      for (const auto& p : components) {  // deflate: stay orthogonal to the first component
        const double s = dot(w, p);
        for (std::size_t a = 0; a < d; ++a) w[a] -= s * p[a];
      }
      const double norm = std::sqrt(dot(w, w)) + 1e-300;
      for (std::size_t a = 0; a < d; ++a) v[a] = w[a] / norm;
    }
    components.push_back(v);
  }
  std::vector<std::pair<double, double>> out;
  for (std::size_t id : ids) {
    std::vector<double> x(d);
    for (std::size_t j = 0; j < d; ++j) x[j] = e[id][j] - mean[j];
    out.emplace_back(dot(x, components[0]), dot(x, components[1]));
  }
  return out;
}

int run(const Config& c) {
  const fs::path out = c.out;
  fs::create_directories(out);
  const std::vector<std::string> tokens = tokenize(c.data, c.max_tokens);
  const Vocabulary v = build_vocabulary(tokens, c.vocab);
  const std::size_t n_words = v.words.size();
  double total = 0;
  for (double n : v.counts) total += n;

  Generator generator(c.seed);
  // Subsampling (word2vec's rule): keep a word of frequency f with probability
  // (sqrt(f / t) + 1) t / f, so "the" and "to" are thinned and rare words kept.
  std::vector<std::size_t> ids;
  for (const std::string& t : tokens) {
    const long id = v.find(t);
    if (id < 0) continue;
    const double f = v.counts[static_cast<std::size_t>(id)] / total;
    const double keep = (std::sqrt(f / c.subsample) + 1) * c.subsample / f;
    if (generator.uniform() < keep) ids.push_back(static_cast<std::size_t>(id));
  }
  // Negatives from counts^0.75, by inverse-CDF lookup.
  std::vector<double> cdf(n_words);
  double acc = 0;
  for (std::size_t i = 0; i < n_words; ++i) cdf[i] = acc += std::pow(v.counts[i], 0.75);
  for (double& x : cdf) x /= acc;
  auto negative = [&] {
    return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), generator.uniform()) -
                                    cdf.begin());
  };

  // Input vectors U(-0.5/D, 0.5/D), output vectors 0, as word2vec starts.
  nn::Embedding in_embed(n_words, c.dim, std::nullopt, std::nullopt, 2.0, generator);
  nn::Embedding out_embed(n_words, c.dim, std::nullopt, std::nullopt, 2.0, generator);
  nn::init::uniform_(in_embed.weight, -0.5 / c.dim, 0.5 / c.dim, generator);
  nn::init::constant_(out_embed.weight, 0.0);
  std::vector<Tensor> params = in_embed.parameters();
  for (const Tensor& p : out_embed.parameters()) params.push_back(p);
  optim::Adam adam(params, c.lr);

  std::cout << "word_embeddings: " << grouped(tokens.size()) << " words of " << c.data << ", "
            << grouped(n_words) << "-word vocabulary, " << grouped(ids.size())
            << " kept after subsampling (t = " << c.subsample << ")\n"
            << "skip-gram, window up to " << c.window << ", " << c.negatives
            << " negatives, dimension " << c.dim << ", Adam lr " << c.lr << ", batch "
            << c.batch_size << ", " << c.epochs << " epochs\n";

  const auto start = std::chrono::steady_clock::now();
  std::size_t steps = 0;
  for (std::size_t epoch = 1; epoch <= c.epochs; ++epoch) {
    // (center, context) pairs with a dynamic window: each center draws its reach in [1, window].
    std::vector<std::size_t> centers, contexts;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::size_t reach = 1 + static_cast<std::size_t>(generator.uniform() * c.window);
      for (std::size_t j = i >= reach ? i - reach : 0; j <= std::min(ids.size() - 1, i + reach);
           ++j) {
        if (j == i) continue;
        centers.push_back(ids[i]);
        contexts.push_back(ids[j]);
      }
    }
    // Shuffle the pairs.
    for (std::size_t i = centers.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(generator.uniform() * static_cast<double>(i));
      std::swap(centers[i - 1], centers[j]);
      std::swap(contexts[i - 1], contexts[j]);
    }
    const std::size_t batches = (centers.size() + c.batch_size - 1) / c.batch_size;
    double running = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t lo = b * c.batch_size, hi = std::min(centers.size(), lo + c.batch_size);
      const std::vector<std::size_t> center(centers.begin() + lo, centers.begin() + hi);
      const std::vector<std::size_t> context(contexts.begin() + lo, contexts.begin() + hi);
      std::vector<std::size_t> repeated, noise;  // each center K times, against K negatives
      for (std::size_t i = 0; i < center.size(); ++i) {
        for (std::size_t k = 0; k < c.negatives; ++k) {
          repeated.push_back(i);
          noise.push_back(negative());
        }
      }
      const Tensor u = in_embed.forward(center);                               // (B, D)
      const Tensor positive = sum(u * out_embed.forward(context), {1});        // (B,)
      const Tensor un = index_select(u, 0, repeated);                          // (B K, D)
      const Tensor negative_scores = sum(un * out_embed.forward(noise), {1});  // (B K,)
      // -log sigmoid(s) = softplus(-s) for the true context, -log sigmoid(-s) for the negatives.
      const Tensor loss = mean(softplus(-positive)) +
                          sum(softplus(negative_scores)) / static_cast<double>(center.size());
      adam.zero_grad();
      loss.backward();
      adam.step();
      running += loss.item();
      ++steps;
      if (!c.quiet && (b % 20 == 0 || b + 1 == batches)) {
        const int width = 30;
        const int filled = static_cast<int>(width * (b + 1) / batches);
        std::cout << "\repoch " << epoch << "/" << c.epochs << " ["
                  << std::string(static_cast<std::size_t>(filled), '=')
                  << std::string(static_cast<std::size_t>(width - filled), ' ') << "] "
                  << std::setw(5) << b + 1 << "/" << batches << " loss "
                  << fixed(running / static_cast<double>(b + 1), 4) << std::flush;
      }
    }
    if (!c.quiet) std::cout << "\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << grouped(steps) << " steps in " << fixed(seconds, 1) << " s\n\n";

  const auto e = unit_rows(in_embed.weight);
  for (const char* probe :
       {"elizabeth", "sister", "mother", "letter", "happy", "morning", "house", "she"}) {
    const long id = v.find(probe);
    if (id < 0) continue;
    std::cout << std::left << std::setw(10) << probe << std::right << " ->";
    for (const auto& [w, s] : nearest(v, e, e[static_cast<std::size_t>(id)], {id}, 6)) {
      std::cout << " " << w << " (" << fixed(s, 2) << ")";
    }
    std::cout << "\n";
  }
  std::cout << "\nanalogies (b - a + c, nearest by cosine):\n";
  const std::vector<std::vector<std::string>> analogies = {{"he", "she", "his"},
                                                           {"mr", "mrs", "he"},
                                                           {"brother", "sister", "father"},
                                                           {"son", "daughter", "uncle"},
                                                           {"morning", "evening", "day"}};
  for (const auto& q : analogies) {
    const long a = v.find(q[0]), b = v.find(q[1]), cc = v.find(q[2]);
    if (a < 0 || b < 0 || cc < 0) continue;
    std::vector<double> query(c.dim);
    for (std::size_t j = 0; j < c.dim; ++j) {
      query[j] = e[static_cast<std::size_t>(b)][j] - e[static_cast<std::size_t>(a)][j] +
                 e[static_cast<std::size_t>(cc)][j];
    }
    std::cout << "  " << q[0] << " : " << q[1] << " :: " << q[2] << " : ?  ->";
    for (const auto& [w, s] : nearest(v, e, query, {a, b, cc}, 3)) {
      std::cout << " " << w << " (" << fixed(s, 2) << ")";
    }
    std::cout << "\n";
  }

  // The learning criterion: related pairs against random pairs, trained vs random vectors.
  Generator pairs(c.seed + 1), pairs_again(c.seed + 1), random_init(c.seed + 2);
  std::size_t found = 0;
  const double trained = related_margin(v, e, &found, pairs);
  const auto random_vectors = unit_rows(randn({n_words, c.dim}, random_init));
  const double baseline = related_margin(v, random_vectors, nullptr, pairs_again);
  std::cout << "\nrelated pairs (" << found << " of " << kRelated.size()
            << " in the vocabulary): mean cosine minus that of 2,000 random pairs = "
            << fixed(trained, 3) << " (random vectors: " << fixed(baseline, 3) << ")\n";

  std::vector<std::size_t> top;
  for (std::size_t i = 0; i < std::min(c.plot_words, n_words); ++i) top.push_back(i);
  const auto xy = pca_2d(e, top);
  {
    std::ofstream f(out / "embeddings_pca.csv");
    f << "pc1,pc2,word\n";
    for (std::size_t i = 0; i < top.size(); ++i) {
      f << xy[i].first << "," << xy[i].second << "," << v.words[top[i]] << "\n";
    }
  }
  std::ostringstream gp;
  gp << png_terminal(1000, 800) << "set output 'embeddings_pca.png'\n"
     << "set title 'The " << top.size()
     << " most frequent words, embeddings projected on their first two principal components'\n"
     << "set grid lc rgb '#e0e0e0'\nunset key\nset xlabel 'PC 1'\nset ylabel 'PC 2'\n"
     << "set datafile separator ','\n"
     << "plot 'embeddings_pca.csv' skip 1 using 1:2 with points pt 7 ps 0.6 lc rgb '#4682b4', \\\n"
     << "  '' skip 1 using 1:2:3 with labels offset 0.6,0.4 left font ',9' tc rgb '#202020'\n";
  plot(out / "embeddings_pca.gp", gp.str());
  report_pictures(out, "embeddings_pca.png");
  if (c.check >= 0 && !(trained >= c.check && trained > baseline + c.check)) {
    std::cout << "CHECK FAILED: margin " << fixed(trained, 3) << " is below " << c.check
              << " (or not that far above random vectors' " << fixed(baseline, 3) << ")\n";
    return 2;
  }
  if (c.check >= 0) std::cout << "check passed: margin above " << c.check << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"Word embeddings by skip-gram with negative sampling on Jane Austen's novels"};
  app.option_defaults()->always_capture_default();
  app.add_option("--data", c.data, "A plain text file")->check(CLI::ExistingFile);
  app.add_option("--vocab", c.vocab, "Vocabulary: the most frequent words")
      ->check(CLI::Range(10, 1000000));
  app.add_option("--max-tokens", c.max_tokens, "Read only the first words of the text (0: all)");
  app.add_option("--dim", c.dim, "Embedding dimension")->check(CLI::Range(2, 1000));
  app.add_option("--window", c.window, "Largest context reach on each side")
      ->check(CLI::Range(1, 20));
  app.add_option("--negatives", c.negatives, "Negative samples per pair")->check(CLI::Range(1, 50));
  app.add_option("--epochs", c.epochs, "Passes over the text")->check(CLI::Range(1, 1000));
  app.add_option("--batch-size", c.batch_size, "Pairs per step")->check(CLI::Range(1, 1000000));
  app.add_option("--lr", c.lr, "Adam learning rate")->check(in_range(0, kNoLimit, true));
  app.add_option("--subsample", c.subsample, "Subsampling threshold t")
      ->check(in_range(0, 1, true));
  app.add_option("--plot-words", c.plot_words, "Words in the PCA picture")
      ->check(CLI::Range(2, 1000));
  app.add_option("--check", c.check,
                 "Exit with status 2 unless the related-pair margin reaches this (off if < 0)");
  app.add_option("--seed", c.seed, "Seed of the initial vectors, sampling and shuffling");
  app.add_option("--out", c.out, "Folder for the picture and its data");
  app.add_flag("--quiet", c.quiet, "No progress display");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(c);
  } catch (const std::exception& e) {
    std::cerr << "word_embeddings: " << e.what() << "\n";
    return 1;
  }
}
