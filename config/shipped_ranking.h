// config/ranking.textproto, compiled into the binary.
#ifndef PORTRAIT_CONFIG_SHIPPED_RANKING_H_
#define PORTRAIT_CONFIG_SHIPPED_RANKING_H_

namespace portrait {

extern const char kShippedRankingConfig[];

}  // namespace portrait

#endif  // PORTRAIT_CONFIG_SHIPPED_RANKING_H_
